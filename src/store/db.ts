/** @module Opens the SQLite file with the pragmas every connection needs. */
import { Database } from 'bun:sqlite'
import { preparePrivateFiles, tightenFiles } from './_modes.ts'

/** True for the paths SQLite treats as a private in-memory database. */
export function isMemoryPath(path: string): boolean {
  return path === '' || path === ':memory:'
}

/**
 * Opens (creating if missing) the database at `path` and sets its pragmas.
 * `strict` makes a missing named parameter an error instead of a silent NULL.
 */
export function openDb(path: string): Database {
  // The default ./data/server-PORT.db must work on a fresh checkout; nobody else may read it.
  if (!isMemoryPath(path)) preparePrivateFiles(path)
  const db = new Database(path, { create: true, readwrite: true, strict: true })
  try {
    // WAL lets readers run beside the single writer; an in-memory database cannot use it.
    if (!isMemoryPath(path)) {
      db.run('PRAGMA journal_mode = WAL')
      // NORMAL is durable across application crashes in WAL mode and avoids an fsync per commit.
      db.run('PRAGMA synchronous = NORMAL')
      tightenFiles(path)
    }
    // SQLite ships with foreign keys off; group_members relies on them.
    db.run('PRAGMA foreign_keys = ON')
    // A second process (a CLI admin command, a test) waits instead of failing with SQLITE_BUSY.
    db.run('PRAGMA busy_timeout = 5000')
  } catch (err) {
    db.close()
    throw err
  }
  return db
}
