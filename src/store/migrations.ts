/**
 * @module The ordered list of schema migrations.
 * Imported as text, not read from disk, so a `bun build --compile` binary carries them.
 */
import m0001 from '../../migrations/0001_init.sql' with { type: 'text' }
import m0002 from '../../migrations/0002_server_tls.sql' with { type: 'text' }

/** One schema step; `version` is the number in the file name and never changes once shipped. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

/** Append only: a shipped migration is never edited, a fix is a new file. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: '0001_init', sql: m0001 },
  { version: 2, name: '0002_server_tls', sql: m0002 },
]
