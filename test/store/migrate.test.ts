import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { openDb } from '../../src/store/db.ts'
import { appliedMigrations, migrate } from '../../src/store/migrate.ts'
import { MIGRATIONS } from '../../src/store/migrations.ts'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

const TABLES = [
  'directory',
  'group_members',
  'groups',
  'keyless_users',
  'offline_queue',
  'schema_migrations',
  'server_identity',
  'servers',
  'users',
]

function inspect<T>(path: string, fn: (db: Database) => T): T {
  const db = new Database(path, { readonly: true })
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

describe('migrations', () => {
  test('the embedded list carries the SQL text', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(MIGRATIONS[0]!.sql).toContain('CREATE TABLE users')
  })

  test('a new file gets every table, STRICT, and one bookkeeping row per migration', () => {
    const path = dbPath()
    open(path).close()
    inspect(path, (db) => {
      const tables = db
        .query<{ name: string; strict: number }, []>(
          "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all()
      expect(tables.map((t) => t.name)).toEqual(TABLES)
      expect(tables.every((t) => t.strict === 1)).toBe(true)
      expect(appliedMigrations(db).map((m) => [m.version, m.name])).toEqual([
        [1, '0001_init'],
        [2, '0002_server_tls'],
        [3, '0003_directory_shared_names'],
        [4, '0004_offline_queue'],
        [5, '0005_server_admission'],
        [6, '0006_keyless_users'],
      ])
    })
  })

  test('the public channel row exists with creator system and version 0', () => {
    const path = dbPath()
    open(path).close()
    const row = inspect(path, (db) =>
      db
        .query<{ creator_id: string; version: number }, []>("SELECT * FROM groups WHERE group_id = 'public'")
        .get(),
    )
    expect(row).toMatchObject({ creator_id: 'system', version: 0 })
  })

  test('a second open is a no-op: same bookkeeping rows, data kept', () => {
    const path = dbPath()
    const first = open(path)
    first.servers.pin({ serverId: 's1', host: 'h', port: 1, pubkey: 'k' })
    first.close()
    const before = inspect(path, appliedMigrations)
    const second = open(path)
    expect(second.servers.get('s1')?.host).toBe('h')
    expect(second.channel.version()).toBe(0)
    second.close()
    expect(inspect(path, appliedMigrations)).toEqual(before)
  })

  test('0002 upgrades a 0001 database: pinned servers keep their address and are plain ws://', () => {
    const path = dbPath()
    const db = openDb(path)
    migrate(db, MIGRATIONS.slice(0, 1))
    db.run(
      "INSERT INTO servers (server_id, host, port, pubkey, pinned_at) VALUES ('s1', '198.18.0.1', 8765, 'k', 1)",
    )
    db.close()
    const store = open(path)
    expect(store.servers.get('s1')).toMatchObject({ host: '198.18.0.1', port: 8765, tls: false })
    store.close()
  })

  test('migrate() reports what it ran and runs nothing the second time', () => {
    const db = openDb(':memory:')
    expect(migrate(db, MIGRATIONS)).toEqual([1, 2, 3, 4, 5, 6])
    expect(migrate(db, MIGRATIONS)).toEqual([])
    db.close()
  })

  test('a failing migration rolls back and is not recorded', () => {
    const db = openDb(':memory:')
    const bad = [
      ...MIGRATIONS,
      { version: 99, name: '0099_bad', sql: 'CREATE TABLE t (x INTEGER); SELECT nope FROM nowhere;' },
    ]
    expect(() => migrate(db, bad)).toThrow()
    expect(appliedMigrations(db).map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(db.query("SELECT 1 FROM sqlite_master WHERE name = 't'").get()).toBeNull()
    db.close()
  })

  test('a database from a newer build is refused', () => {
    const db = openDb(':memory:')
    migrate(db, [...MIGRATIONS, { version: 9, name: '0009_future', sql: 'SELECT 1' }])
    expect(() => migrate(db, MIGRATIONS)).toThrow(/schema version 9/)
    db.close()
  })

  test('an out-of-order list is a programmer error', () => {
    const db = openDb(':memory:')
    const list = [
      { version: 2, name: 'b', sql: '' },
      { version: 1, name: 'a', sql: '' },
    ]
    expect(() => migrate(db, list)).toThrow(TypeError)
    db.close()
  })
})

describe('pragmas', () => {
  test('a file database runs in WAL mode with foreign keys and a busy timeout', () => {
    const db = openDb(dbPath())
    expect(db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode).toBe('wal')
    expect(db.query<{ foreign_keys: number }, []>('PRAGMA foreign_keys').get()?.foreign_keys).toBe(1)
    expect(db.query<{ timeout: number }, []>('PRAGMA busy_timeout').get()?.timeout).toBe(5000)
    db.close()
  })

  test('WAL persists in the file after the store closes', () => {
    const path = dbPath()
    open(path).close()
    expect(
      inspect(
        path,
        (db) => db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode,
      ),
    ).toBe('wal')
  })

  test(':memory: works and keeps no WAL', () => {
    const db = openDb(':memory:')
    expect(db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode).toBe('memory')
    db.close()
    const s = open(':memory:')
    expect(s.users.count()).toBe(0)
  })
})
