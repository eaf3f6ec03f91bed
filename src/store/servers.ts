/** @module Peer servers pinned by id (PROTOCOL.md §4): a later frame with another key for that id is refused. */
import type { Database } from 'bun:sqlite'

/** A peer as announced in SERVER_HELLO_JOIN / SERVER_ANNOUNCE / SERVER_WELCOME. */
export interface PeerServer {
  serverId: string
  host: string
  port: number
  pubkey: string
  /** Dialed at `wss://` (docs/wire.md §9); absent means false. */
  tls?: boolean
  /**
   * Proved its key at this address when we dialed it (or was listed by the introducer we chose);
   * absent means true. A server that only linked to us is not, until it answers there
   * (mesh/confirm.ts): only confirmed servers are listed to joiners and redialed.
   */
  confirmed?: boolean
  /** The address group of the incoming link that first pinned it (mesh/admission.ts), if any. */
  admittedFrom?: string | null
}

/** A pinned peer; `lastSeen` is the last time any frame arrived from it (ms), null if never. */
export interface PinnedServer extends PeerServer {
  tls: boolean
  confirmed: boolean
  admittedFrom: string | null
  pinnedAt: number
  lastSeen: number | null
}

/** What `pin` did. `rekey` means refused and not written; `moved` means the address was updated. */
export type PinResult = 'added' | 'unchanged' | 'moved' | 'rekey'

interface Row {
  server_id: string
  host: string
  port: number
  pubkey: string
  tls: number
  pinned_at: number
  last_seen: number | null
  confirmed: number
  admitted_from: string | null
}

type PinParams = {
  serverId: string
  host: string
  port: number
  pubkey: string
  tls: number
  now: number
  confirmed: number
  admittedFrom: string | null
}

const COLUMNS = 'server_id, host, port, pubkey, tls, pinned_at, last_seen, confirmed, admitted_from'

/** Builds the peer repository; its statements are prepared once here. */
export function serverRepo(db: Database) {
  const get = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM servers WHERE server_id = ?`)
  const all = db.prepare<Row, []>(`SELECT ${COLUMNS} FROM servers ORDER BY server_id`)
  const byKey = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM servers WHERE pubkey = ? LIMIT 1`)
  const fromGroup = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM servers WHERE admitted_from = ?`)
  const insert = db.prepare<never, PinParams>(
    `INSERT INTO servers (server_id, host, port, pubkey, tls, pinned_at, last_seen, confirmed, admitted_from)
     VALUES ($serverId, $host, $port, $pubkey, $tls, $now, NULL, $confirmed, $admittedFrom)`,
  )
  const move = db.prepare<never, [string, number, number, number, string]>(
    'UPDATE servers SET host = ?, port = ?, tls = ?, confirmed = ? WHERE server_id = ?',
  )
  const confirm = db.prepare<never, [string]>('UPDATE servers SET confirmed = 1 WHERE server_id = ?')
  const forget = db.prepare<never, [string]>('DELETE FROM servers WHERE server_id = ?')
  const touch = db.prepare<never, [number, string]>(
    // max() keeps last_seen monotonic when frames are handled out of order.
    'UPDATE servers SET last_seen = max(coalesce(last_seen, 0), ?) WHERE server_id = ?',
  )

  const pin = db.transaction((p: PeerServer): PinResult => {
    const known = get.get(p.serverId)
    const confirmed = p.confirmed === false ? 0 : 1
    if (!known) {
      insert.run({
        serverId: p.serverId,
        host: p.host,
        port: p.port,
        pubkey: p.pubkey,
        tls: p.tls ? 1 : 0,
        now: Date.now(),
        confirmed,
        admittedFrom: p.admittedFrom ?? null,
      })
      return 'added'
    }
    // Trust on first use: the first key seen for an id is the only one accepted afterwards.
    if (known.pubkey !== p.pubkey) return 'rekey'
    // TLS is sticky: a replayed hello from before the peer had TLS must not move it back to ws://.
    const tls = known.tls || (p.tls ? 1 : 0)
    if (known.host === p.host && known.port === p.port && known.tls === tls) {
      if (confirmed && !known.confirmed) confirm.run(p.serverId)
      return 'unchanged'
    }
    // The same key proves the same server, so a new address is a move, not a takeover; but the new
    // address is only believed once the server answers there.
    move.run(p.host, p.port, tls, confirmed, p.serverId)
    return 'moved'
  })

  return {
    /** Pins a peer's key to its id on first sight; see {@link PinResult}. */
    pin(peer: PeerServer): PinResult {
      return pin(peer)
    },

    /** The pinned peer with this id, or null. */
    get(serverId: string): PinnedServer | null {
      const r = get.get(serverId)
      return r ? fromRow(r) : null
    },

    /** The peer pinned with this key (SPKI), or null: one key is one server (mesh/admission.ts). */
    byKey(pubkey: string): PinnedServer | null {
      const r = byKey.get(pubkey)
      return r ? fromRow(r) : null
    },

    /** The pinned peers first admitted from this address group. */
    fromGroup(group: string): PinnedServer[] {
      return fromGroup.all(group).map(fromRow)
    },

    /** The peer answered at its pinned address with its pinned key. */
    confirm(serverId: string): void {
      confirm.run(serverId)
    },

    /** Removes a pin (a server that never answered at its address and left nothing here). */
    forget(serverId: string): void {
      forget.run(serverId)
    },

    /** Every pinned peer, sorted by id. */
    all(): PinnedServer[] {
      return all.all().map(fromRow)
    },

    /** Records that a frame arrived from `serverId` at `ts` (ms); unknown ids are ignored. */
    touch(serverId: string, ts: number): void {
      touch.run(ts, serverId)
    },
  }
}

export type ServerRepo = ReturnType<typeof serverRepo>

function fromRow(r: Row): PinnedServer {
  return {
    serverId: r.server_id,
    host: r.host,
    port: r.port,
    pubkey: r.pubkey,
    tls: r.tls === 1,
    pinnedAt: r.pinned_at,
    lastSeen: r.last_seen,
    confirmed: r.confirmed === 1,
    admittedFrom: r.admitted_from,
  }
}
