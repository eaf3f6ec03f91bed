/**
 * @module Client store files: opening one private file (0600 in a 0700 folder) with its
 * migrations, and finding the one that belongs to a user id.
 */

import { Database } from 'bun:sqlite'
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import c0001 from '../../migrations/client/0001_client_init.sql' with { type: 'text' }
import { ClientStore, type ClientStoreLimits, DEFAULT_CLIENT_LIMITS } from './client.ts'
import { isMemoryPath, openDb } from './db.ts'
import { migrate } from './migrate.ts'
import type { Migration } from './migrations.ts'

/** Append only, like the server's list: message history (issue 13) is version 2. */
export const CLIENT_MIGRATIONS: readonly Migration[] = [{ version: 1, name: '0001_client_init', sql: c0001 }]

/**
 * Opens (creating if missing) a client store. A file is created 0600 in a 0700 folder before
 * SQLite touches it, so its -wal and -shm files inherit the mode. `':memory:'` for throwaway sessions.
 */
export function openClientStore(path: string, limits: Partial<ClientStoreLimits> = {}): ClientStore {
  if (!isMemoryPath(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    chmodSync(dirname(path), 0o700)
    closeSync(openSync(path, 'a', 0o600))
    chmodSync(path, 0o600)
  }
  const db = openDb(path)
  try {
    migrate(db, CLIENT_MIGRATIONS)
    return new ClientStore(db, { ...DEFAULT_CLIENT_LIMITS, ...limits })
  } catch (e) {
    db.close()
    throw e
  }
}

/**
 * The store in `dir` whose account is `userId` (a login by id names no username to find it by),
 * or null. Each `*.sqlite` there is opened read-only just long enough to read its account row.
 */
export function findClientStore(dir: string, userId: string): string | null {
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.sqlite'))
  } catch {
    return null
  }
  for (const n of names) {
    const path = join(dir, n)
    let db: Database | null = null
    try {
      db = new Database(path, { readonly: true })
      const row = db.query<{ user_id: string }, []>('SELECT user_id FROM account WHERE id = 1').get()
      if (row?.user_id === userId.toLowerCase()) return path
    } catch {
      // Not a client store, or one from before its first login: not the one we look for.
    } finally {
      db?.close()
    }
  }
  return null
}
