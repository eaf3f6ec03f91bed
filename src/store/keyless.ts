/**
 * @module Users of other implementations advertised without a key, and the server that first did
 * (migrations/0006): that server alone speaks for them until their first key is pinned.
 */
import type { Database } from 'bun:sqlite'

export type KeylessUser = { username: string; serverId: string }

/** Builds the keyless-user repository; its statements are prepared once here. */
export function keylessRepo(db: Database) {
  // A second advert from their own server may rename them; another server's changes nothing.
  const claim = db.prepare<never, [string, string, string, number]>(
    `INSERT INTO keyless_users (user_id, username, server_id, first_seen) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET username = excluded.username
     WHERE keyless_users.server_id = excluded.server_id`,
  )
  const get = db.prepare<{ username: string; server_id: string }, [string]>(
    'SELECT username, server_id FROM keyless_users WHERE user_id = ?',
  )
  const forget = db.prepare<never, [string]>('DELETE FROM keyless_users WHERE user_id = ?')
  const count = db.prepare<{ n: number }, [string]>(
    'SELECT COUNT(*) AS n FROM keyless_users WHERE server_id = ?',
  )

  return {
    /** Records `userId` as `serverId`'s (unless another server's already); renames them if theirs. */
    claim(userId: string, username: string, serverId: string, now = Date.now()): void {
      claim.run(userId, username, serverId, now)
    },

    /** The keyless user's name and server, or null. */
    get(userId: string): KeylessUser | null {
      const r = get.get(userId)
      return r ? { username: r.username, serverId: r.server_id } : null
    },

    /** Their first key was pinned: the directory speaks for them now. */
    forget(userId: string): void {
      forget.run(userId)
    },

    /** How many keyless users `serverId` has here (they count against its user cap). */
    countByServer(serverId: string): number {
      return count.get(serverId)?.n ?? 0
    },
  }
}

export type KeylessRepo = ReturnType<typeof keylessRepo>
