/** @module Applies the embedded migrations in order, each in its own transaction. */
import type { Database } from 'bun:sqlite'
import type { Migration } from './migrations.ts'

/** A row of the bookkeeping table, one per applied migration. */
export interface AppliedMigration {
  version: number
  name: string
  applied_at: number
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`

/** Lists the migrations recorded in `db`, oldest first. */
export function appliedMigrations(db: Database): AppliedMigration[] {
  db.run(BOOKKEEPING)
  return db
    .query<AppliedMigration, []>('SELECT version, name, applied_at FROM schema_migrations ORDER BY version')
    .all()
}

/**
 * Applies every migration of `list` that `db` has not recorded yet and returns their versions.
 * A second run is a no-op. A failing migration rolls back entirely and leaves no record.
 */
export function migrate(db: Database, list: readonly Migration[]): number[] {
  assertOrdered(list)
  const applied = appliedMigrations(db)
  const known = new Set(list.map((m) => m.version))
  const newest = applied.at(-1)
  // A database written by a newer build may hold tables this build would misread: refuse it.
  if (newest && !known.has(newest.version)) {
    throw new Error(`database schema version ${newest.version} is unknown to this build; upgrade socp`)
  }
  const done = new Set(applied.map((m) => m.version))
  const record = db.query<never, [number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  )
  const ran: number[] = []
  for (const m of list) {
    if (done.has(m.version)) continue
    db.transaction(() => {
      db.run(m.sql)
      record.run(m.version, m.name, Date.now())
    })()
    ran.push(m.version)
  }
  return ran
}

/** Programmer error guard: versions must be unique and ascending, or the order is ambiguous. */
function assertOrdered(list: readonly Migration[]): void {
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1]!
    const cur = list[i]!
    if (cur.version <= prev.version) {
      throw new TypeError(`migration ${cur.name} is out of order after ${prev.name}`)
    }
  }
}
