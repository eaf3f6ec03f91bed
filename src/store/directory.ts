/**
 * @module The replicated directory (docs/wire.md §5): every user in the mesh, local and remote.
 * Keys are pinned to user ids and usernames are unique mesh-wide, decided by the oldest claim.
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

/** What `upsert` did. `rekey` and `name_conflict` mean the entry was refused and nothing was written. */
export type UpsertResult = 'added' | 'unchanged' | 'updated' | 'rekey' | 'name_conflict'

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
  const byName = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM directory WHERE username = ?`)
  const all = db.prepare<Row, [number]>(`SELECT ${COLUMNS} FROM directory ORDER BY username LIMIT ?`)
  const byServer = db.prepare<Row, [string]>(
    `SELECT ${COLUMNS} FROM directory WHERE server_id = ? ORDER BY username`,
  )
  const count = db.prepare<{ n: number }, []>('SELECT count(*) AS n FROM directory')
  const remove = db.prepare<never, [string]>('DELETE FROM directory WHERE user_id = ?')
  const write = db.prepare<
    never,
    { userId: string; username: string; pubkey: string; serverId: string; created: number }
  >(
    `INSERT INTO directory (user_id, username, pubkey, server_id, created)
     VALUES ($userId, $username, $pubkey, $serverId, $created)
     ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, server_id = excluded.server_id`,
  )

  const upsert = db.transaction((e: DirectoryEntry): UpsertResult => {
    const username = e.username.toLowerCase()
    const known = byId.get(e.userId)
    // A user id is bound to its first key: another key is an impersonation attempt or a bug.
    if (known && known.pubkey !== e.pubkey) return 'rekey'
    // `created` is fixed at registration; keeping the stored one stops a later entry from
    // back-dating itself to win a name.
    const created = known ? known.created : e.created
    if (known && known.username === username && known.server_id === e.serverId) return 'unchanged'
    const holder = byName.get(username)
    if (holder && holder.user_id !== e.userId) {
      // Two registrations raced for one name on different servers: the older (created, user_id)
      // wins everywhere, so every server converges on the same owner whatever the arrival order.
      if (!olderThan(created, e.userId, holder)) return 'name_conflict'
      remove.run(holder.user_id)
    }
    write.run({ userId: e.userId, username, pubkey: e.pubkey, serverId: e.serverId, created })
    return known ? 'updated' : 'added'
  })

  return {
    /**
     * Adds or refreshes an entry. A known id with another pubkey is refused (`rekey`). A username
     * held by another id goes to the smaller `(created, user_id)`: `name_conflict` if the incoming
     * entry loses; if it wins, the holder is dropped and the entry written.
     */
    upsert(entry: DirectoryEntry): UpsertResult {
      return upsert(entry)
    },

    /** The entry for this user id, or null. */
    byId(userId: string): DirectoryEntry | null {
      return toEntry(byId.get(userId))
    },

    /** The entry for this username in any case, or null. */
    byUsername(username: string): DirectoryEntry | null {
      return toEntry(byName.get(username.toLowerCase()))
    },

    /** Every entry, sorted by username. */
    /** Every entry sorted by username, or the first `limit`. */
    all(limit = -1): DirectoryEntry[] {
      return all.all(limit).map(fromRow)
    },

    /** The entries whose home is `serverId`, sorted by username. */
    byServer(serverId: string): DirectoryEntry[] {
      return byServer.all(serverId).map(fromRow)
    },

    /** How many entries exist. */
    count(): number {
      return count.get()?.n ?? 0
    },
  }
}

export type DirectoryRepo = ReturnType<typeof directoryRepo>

function olderThan(created: number, userId: string, other: Row): boolean {
  return created < other.created || (created === other.created && userId < other.user_id)
}

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
