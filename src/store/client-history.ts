/**
 * @module The client store's history table (migrations/client/0002_history.sql): sealed entries
 * in arrival order, bounded. Sealing and opening are the caller's (src/client/history.ts).
 */

import type { Database } from 'bun:sqlite'

export type SealedEntry = { id: number; peer: string; ts: number; sealed: Uint8Array }

/** Entries kept per account; beyond it the oldest are dropped. */
export const MAX_HISTORY = 2_000

/**
 * Builds the history repository over an open client store database; `beforeWrite` runs before
 * each write (the store writes its waiting sightings there, so the file keeps their order).
 */
export function historyRepo(db: Database, beforeWrite: () => void = () => {}, max = MAX_HISTORY) {
  const insert = db.prepare<never, [string, number, Uint8Array]>(
    'INSERT INTO history (peer, ts, sealed) VALUES (?, ?, ?)',
  )
  const prune = db.prepare<never, [number]>(
    'DELETE FROM history WHERE id <= (SELECT max(id) FROM history) - ?',
  )
  const recentAll = db.prepare<SealedEntry, [number]>(
    'SELECT id, peer, ts, sealed FROM history ORDER BY id DESC LIMIT ?',
  )
  const recentPeer = db.prepare<SealedEntry, [string, number]>(
    'SELECT id, peer, ts, sealed FROM history WHERE peer = ? ORDER BY id DESC LIMIT ?',
  )
  return {
    add(peer: string, ts: number, sealed: Uint8Array): void {
      beforeWrite()
      insert.run(peer, ts, sealed)
      prune.run(max)
    },
    /** The newest `limit` entries (of one peer), oldest first. */
    recent(peer: string | null, limit: number): SealedEntry[] {
      const rows = peer === null ? recentAll.all(limit) : recentPeer.all(peer, limit)
      return rows.reverse()
    },
  }
}

export type HistoryRepo = ReturnType<typeof historyRepo>
