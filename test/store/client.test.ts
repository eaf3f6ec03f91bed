/** @module The per-account client store: schema, persistence, bounds and pruning, replay cache. */

import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { findClientStore, openClientStore } from '../../src/store/index.ts'
import { tempDir } from '../helpers/servers.ts'

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const SRV = '99999999-9999-4999-8999-999999999999'

describe('client store', () => {
  test('a new file: STRICT tables, its migrations, 0600 in a 0700 folder', () => {
    const path = join(tempDir(), 'srv_1', 'alice.sqlite')
    openClientStore(path).close()
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700)
    const db = new Database(path, { readonly: true })
    const tables = db
      .query<{ name: string; strict: number }, []>(
        "SELECT name, strict FROM pragma_table_list WHERE schema = 'main'",
      )
      .all()
      .filter((t) => !t.name.startsWith('sqlite_'))
    expect(tables.map((t) => t.name).sort()).toEqual([
      'account',
      'contacts',
      'history',
      'names',
      'replay',
      'schema_migrations',
    ])
    expect(tables.every((t) => t.strict === 1)).toBe(true)
    expect(db.query('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: '0001_client_init' },
      { version: 2, name: '0002_history' },
    ])
    db.close()
  })

  test('account, pins and name bindings survive a reopen; a user id finds its file', () => {
    const dir = join(tempDir(), 'srv_1')
    const path = join(dir, 'alice.sqlite')
    const s = openClientStore(path)
    expect(s.account()).toBeNull()
    s.setAccount(id(1), 'alice')
    s.pin({ userId: id(2), username: 'Bob', serverId: SRV, pubkey: 'k2' })
    s.setVerified(id(2), 'k2', 5)
    s.close()
    const again = openClientStore(path)
    expect(again.account()).toEqual({ userId: id(1), username: 'alice', kdfMigrated: false })
    again.markKdfMigrated()
    expect(again.account()?.kdfMigrated).toBe(true)
    expect(again.byName('BOB')).toEqual([
      expect.objectContaining({ userId: id(2), pubkey: 'k2', verifiedAt: 5 }),
    ])
    // Re-pinning (/trust) replaces the key and clears the verification.
    again.pin({ userId: id(2), username: 'bob', serverId: SRV, pubkey: 'k3' })
    expect(again.contact(id(2))).toMatchObject({ pubkey: 'k3', verifiedAt: null })
    again.close()
    expect(findClientStore(dir, id(1))).toBe(path)
    expect(findClientStore(dir, id(9))).toBeNull()
  })

  test('bounded: contacts never messaged nor verified are pruned first, oldest first', () => {
    const s = openClientStore(':memory:', { maxContacts: 10 })
    s.pin({ userId: id(1), username: 'kept1', serverId: SRV, pubkey: 'k' }, 1)
    s.messaged(id(1), 2)
    s.pin({ userId: id(2), username: 'kept2', serverId: SRV, pubkey: 'k' }, 1)
    s.setVerified(id(2), 'k', 2)
    s.transaction(() => {
      for (let i = 3; i < 100; i++) s.pin({ userId: id(i), username: `u${i}`, serverId: SRV, pubkey: 'k' }, i)
    })
    expect(s.contactCount()).toBe(10)
    expect(s.contact(id(1))).not.toBeNull()
    expect(s.contact(id(2))).not.toBeNull()
    expect(s.contact(id(3))).toBeNull()
    expect(s.contact(id(99))).not.toBeNull()
    expect(s.byName('u3')).toEqual([]) // its name binding went with it
    expect(s.nameBound('u3')).toBe(false)
    expect(s.nameBound('U99')).toBe(true)
  })

  test('sightings: read at once, written within a second, before any other write, and at close', async () => {
    const path = join(tempDir(), 'srv_1', 'alice.sqlite')
    const s = openClientStore(path)
    const disk = new Database(path, { readonly: true })
    const onDisk = (userId: string) =>
      disk
        .query<{ server_id: string; last_seen: number; last_messaged: number | null }, [string]>(
          'SELECT server_id, last_seen, last_messaged FROM contacts WHERE user_id = ?',
        )
        .get(userId)
    const SRV2 = 'abcdef01-9999-4999-8999-999999999999'

    s.sighted({ userId: id(2), username: 'Bob', serverId: SRV, pubkey: 'k2' }, 10)
    expect(s.contact(id(2))).toMatchObject({ username: 'bob', pubkey: 'k2', firstSeen: 10, verifiedAt: null })
    expect(s.byName('BOB').map((c) => c.userId)).toEqual([id(2)])
    expect(s.contactCount()).toBe(1)
    expect(onDisk(id(2))).toBeNull() // not yet written: no commit per sighting
    s.seen(id(2), SRV2, 20)
    expect(s.contact(id(2))).toMatchObject({ serverId: SRV2, lastSeen: 20 })

    // Any other write puts the sightings before it on disk first.
    s.messaged(id(2), 30)
    expect(onDisk(id(2))).toEqual({ server_id: SRV2, last_seen: 20, last_messaged: 30 })

    // A pinned contact seen again is also written later, and read at once.
    s.seen(id(2), SRV, 40)
    expect(s.contact(id(2))).toMatchObject({ serverId: SRV, lastSeen: 40, lastMessaged: 30 })
    expect(onDisk(id(2))?.last_seen).toBe(20)
    await Bun.sleep(1_200)
    expect(onDisk(id(2))).toEqual({ server_id: SRV, last_seen: 40, last_messaged: 30 })

    // Sightings still waiting at close are written by it.
    s.sighted({ userId: id(3), username: 'carol', serverId: SRV, pubkey: 'k3' }, 50)
    s.close()
    disk.close()
    const again = openClientStore(path)
    expect(again.contact(id(3))).toMatchObject({ pubkey: 'k3', firstSeen: 50 })
    expect(again.byName('carol').map((c) => c.userId)).toEqual([id(3)])
    again.close()
  })

  test('a second process on the same file: its pins are seen at once, and never replaced by a sighting', () => {
    const path = join(tempDir(), 'srv_1', 'alice.sqlite')
    const a = openClientStore(path)
    const b = openClientStore(path)
    expect(a.contact(id(2))).toBeNull()
    expect(a.nameBound('bob')).toBe(false)
    b.pin({ userId: id(2), username: 'bob', serverId: SRV, pubkey: 'kb' })
    expect(a.contact(id(2))?.pubkey).toBe('kb')
    expect(a.nameBound('BOB')).toBe(true)

    // A first sighting in `a` still waiting when `b` pins the same id: `b`'s pin stands.
    a.sighted({ userId: id(3), username: 'carol', serverId: SRV, pubkey: 'ka' })
    b.pin({ userId: id(3), username: 'carol', serverId: SRV, pubkey: 'kc' })
    a.close()
    expect(b.contact(id(3))?.pubkey).toBe('kc')
    b.close()
  })

  test('bounded, but never the contact just pinned: /verify of a new contact when all others are kept', () => {
    const s = openClientStore(':memory:', { maxContacts: 2 })
    s.pin({ userId: id(1), username: 'a', serverId: SRV, pubkey: 'k' })
    s.messaged(id(1))
    s.pin({ userId: id(2), username: 'b', serverId: SRV, pubkey: 'k' })
    expect(s.setVerified(id(2), 'k', 1)).toBe(true)
    s.pin({ userId: id(3), username: 'c', serverId: SRV, pubkey: 'k3' })
    expect(s.contact(id(3))).not.toBeNull()
    expect(s.setVerified(id(3), 'k3', 2)).toBe(true)
    expect(s.setVerified(id(3), 'another key', 3)).toBe(false)
    expect(s.contact(id(3))?.verifiedAt).toBe(2)
  })

  test('replay cache: keyed by bytes, bounded, newest kept', () => {
    const s = openClientStore(':memory:', { maxReplay: 3 })
    const k = (n: number) => new Uint8Array([n])
    expect(s.replayed(k(1), 1)).toBe(false)
    expect(s.replayed(k(1), 2)).toBe(true)
    for (const n of [2, 3, 4]) expect(s.replayed(k(n), n + 10)).toBe(false)
    expect(s.replayed(k(4), 20)).toBe(true)
    expect(s.replayed(k(1), 21)).toBe(false) // the oldest went first
  })
})
