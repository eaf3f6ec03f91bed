/**
 * @module The ordered list of schema migrations.
 * Imported as text, not read from disk, so a `bun build --compile` binary carries them.
 */
import m0001 from '../../migrations/0001_init.sql' with { type: 'text' }
import m0002 from '../../migrations/0002_server_tls.sql' with { type: 'text' }
import m0003 from '../../migrations/0003_directory_shared_names.sql' with { type: 'text' }
import m0004 from '../../migrations/0004_offline_queue.sql' with { type: 'text' }
import m0005 from '../../migrations/0005_server_admission.sql' with { type: 'text' }
import m0006 from '../../migrations/0006_keyless_users.sql' with { type: 'text' }

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
  { version: 3, name: '0003_directory_shared_names', sql: m0003 },
  { version: 4, name: '0004_offline_queue', sql: m0004 },
  { version: 5, name: '0005_server_admission', sql: m0005 },
  { version: 6, name: '0006_keyless_users', sql: m0006 },
]
