/**
 * @module The client store's replay cache (migrations/client/0001_client_init.sql, `replay`):
 * SHA-256 of each content signature shown, so a DM re-delivered at every login is shown once.
 * Bounded, the oldest entries dropped first.
 */

import type { Database } from 'bun:sqlite'

/**
 * Builds the replay cache over an open client store database, keeping at most `max` entries;
 * `beforeWrite` runs before each write (the store writes its waiting sightings there), as for
 * the history (src/store/client-history.ts).
 */
export function replayRepo(db: Database, beforeWrite: () => void, max: number) {
  const has = db.prepare<{ one: number }, [Uint8Array]>('SELECT 1 AS one FROM replay WHERE sig_hash = ?')
  const add = db.prepare<never, [Uint8Array, number]>('INSERT INTO replay (sig_hash, seen_at) VALUES (?, ?)')
  const prune = db.prepare<never, [number]>(
    'DELETE FROM replay WHERE sig_hash IN (SELECT sig_hash FROM replay ORDER BY seen_at LIMIT ?)',
  )
  let held = db.prepare<{ n: number }, []>('SELECT count(*) AS n FROM replay').get()?.n ?? 0
  return {
    /** True when `key` (a digest of decoded signature bytes) was recorded before; records it otherwise. */
    replayed(key: Uint8Array, now: number): boolean {
      if (has.get(key)) return true
      beforeWrite()
      add.run(key, now)
      if (++held > max) held -= prune.run(held - max).changes
      return false
    },
  }
}

export type ReplayRepo = ReturnType<typeof replayRepo>
