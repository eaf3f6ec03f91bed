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
}

/** A pinned peer; `lastSeen` is the last time any frame arrived from it (ms), null if never. */
export interface PinnedServer extends PeerServer {
  tls: boolean
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
}

type PinParams = { serverId: string; host: string; port: number; pubkey: string; tls: number; now: number }

const COLUMNS = 'server_id, host, port, pubkey, tls, pinned_at, last_seen'

/** Builds the peer repository; its statements are prepared once here. */
export function serverRepo(db: Database) {
  const get = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM servers WHERE server_id = ?`)
  const all = db.prepare<Row, []>(`SELECT ${COLUMNS} FROM servers ORDER BY server_id`)
  const insert = db.prepare<never, PinParams>(
    `INSERT INTO servers (server_id, host, port, pubkey, tls, pinned_at, last_seen)
     VALUES ($serverId, $host, $port, $pubkey, $tls, $now, NULL)`,
  )
  const move = db.prepare<never, [string, number, number, string]>(
    'UPDATE servers SET host = ?, port = ?, tls = ? WHERE server_id = ?',
  )
  const touch = db.prepare<never, [number, string]>(
    // max() keeps last_seen monotonic when frames are handled out of order.
    'UPDATE servers SET last_seen = max(coalesce(last_seen, 0), ?) WHERE server_id = ?',
  )

  const pin = db.transaction((p: PeerServer): PinResult => {
    const known = get.get(p.serverId)
    if (!known) {
      const tls = p.tls ? 1 : 0
      insert.run({ serverId: p.serverId, host: p.host, port: p.port, pubkey: p.pubkey, tls, now: Date.now() })
      return 'added'
    }
    // Trust on first use: the first key seen for an id is the only one accepted afterwards.
    if (known.pubkey !== p.pubkey) return 'rekey'
    // TLS is sticky: a replayed hello from before the peer had TLS must not move it back to ws://.
    const tls = known.tls || (p.tls ? 1 : 0)
    if (known.host === p.host && known.port === p.port && known.tls === tls) return 'unchanged'
    // The same key proves the same server, so a new address is a move, not a takeover.
    move.run(p.host, p.port, tls, p.serverId)
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
  }
}
