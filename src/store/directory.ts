/**
 * @module The replicated directory (docs/wire.md §5): every user in the mesh, local and remote.
 * Keys are pinned to user ids and homes fixed at first sight. A username may be shared by users of
 * different home servers (PROTOCOL.md §6): a conflict never deletes, re-homes or re-keys anyone.
 */
import type { Database } from 'bun:sqlite'

/** One directory entry as carried by DIRECTORY_ENTRY; `created` is the registration time (ms). */
export interface DirectoryEntry {
  userId: string
  username: string
  pubkey: string
  serverId: string
  created: number
}

/** What `upsert` did. `rekey` and `rehome` mean the entry was refused and nothing was written. */
export type UpsertResult = 'added' | 'unchanged' | 'updated' | 'rekey' | 'rehome'

interface Row {
  user_id: string
  username: string
  pubkey: string
  server_id: string
  created: number
}

const COLUMNS = 'user_id, username, pubkey, server_id, created'

/** Builds the directory repository; its statements are prepared once here. */
export function directoryRepo(db: Database) {
  const byId = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM directory WHERE user_id = ?`)
  // Several users may share a name: the oldest claim first, so lookups by name are stable.
  const byName = db.prepare<Row, [string]>(
    `SELECT ${COLUMNS} FROM directory WHERE username = ? ORDER BY created, user_id`,
  )
  const all = db.prepare<Row, [number]>(`SELECT ${COLUMNS} FROM directory ORDER BY username LIMIT ?`)
  const byServer = db.prepare<Row, [string]>(
    `SELECT ${COLUMNS} FROM directory WHERE server_id = ? ORDER BY username`,
  )
  const count = db.prepare<{ n: number }, []>('SELECT count(*) AS n FROM directory')
  const removeServer = db.prepare<never, [string]>('DELETE FROM directory WHERE server_id = ?')
  const write = db.prepare<
    never,
    { userId: string; username: string; pubkey: string; serverId: string; created: number }
  >(
    `INSERT INTO directory (user_id, username, pubkey, server_id, created)
     VALUES ($userId, $username, $pubkey, $serverId, $created)
     ON CONFLICT (user_id) DO UPDATE SET username = excluded.username`,
  )

  const upsert = db.transaction((e: DirectoryEntry): UpsertResult => {
    const username = e.username.toLowerCase()
    const known = byId.get(e.userId)
    // A user id is bound to its first key: another key is an impersonation attempt or a bug.
    if (known && known.pubkey !== e.pubkey) return 'rekey'
    // …and to its first home: a move would let another server receive the user's traffic.
    if (known && known.server_id !== e.serverId) return 'rehome'
    // `created` is fixed at registration; a later entry cannot back-date itself.
    const created = known ? known.created : e.created
    if (known && known.username === username) return 'unchanged'
    write.run({ userId: e.userId, username, pubkey: e.pubkey, serverId: e.serverId, created })
    return known ? 'updated' : 'added'
  })

  return {
    /**
     * Adds or refreshes an entry. A known id with another pubkey (`rekey`) or another home server
     * (`rehome`) is refused. A username held by another id is no reason to refuse or to drop
     * anyone: both stay (PROTOCOL.md §6).
     */
    upsert(entry: DirectoryEntry): UpsertResult {
      return upsert(entry)
    },

    /** The entry for this user id, or null. */
    byId(userId: string): DirectoryEntry | null {
      return toEntry(byId.get(userId))
    },

    /** The oldest entry holding this username in any case, or null (see `allByUsername`). */
    byUsername(username: string): DirectoryEntry | null {
      return toEntry(byName.get(username.toLowerCase()))
    },

    /** Every entry holding this username, oldest first. */
    allByUsername(username: string): DirectoryEntry[] {
      return byName.all(username.toLowerCase()).map(fromRow)
    },

    /** Every entry sorted by username, or the first `limit`. */
    all(limit = -1): DirectoryEntry[] {
      return all.all(limit).map(fromRow)
    },

    /** The entries whose home is `serverId`, sorted by username. */
    byServer(serverId: string): DirectoryEntry[] {
      return byServer.all(serverId).map(fromRow)
    },

    /** Removes every entry homed at `serverId` (a server we forget, mesh/establish.ts). */
    removeServer(serverId: string): void {
      removeServer.run(serverId)
    },

    /** How many entries exist. */
    count(): number {
      return count.get()?.n ?? 0
    },
  }
}

export type DirectoryRepo = ReturnType<typeof directoryRepo>

function fromRow(r: Row): DirectoryEntry {
  return {
    userId: r.user_id,
    username: r.username,
    pubkey: r.pubkey,
    serverId: r.server_id,
    created: r.created,
  }
}

function toEntry(r: Row | null): DirectoryEntry | null {
  return r ? fromRow(r) : null
}
