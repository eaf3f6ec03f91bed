/**
 * @module Contacts over the client store: first key pinned and its name bound to its id; a later
 * different key, or a new id under a bound name, warned about once and refused both ways.
 */

import { Database } from 'bun:sqlite'
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Contacts } from '../../src/client/contacts.ts'
import { Emitter, type SessionEvents } from '../../src/client/events.ts'
import { fingerprint } from '../../src/crypto/index.ts'
import { ChatError } from '../../src/errors.ts'
import { openClientStore } from '../../src/store/index.ts'
import { testKey } from '../helpers/keys.ts'

const ME = '11111111-1111-4111-8111-111111111111'
const BOB = '22222222-2222-4222-8222-222222222222'
const FAKE = '33333333-3333-4333-8333-333333333333'
const SRV = '99999999-9999-4999-8999-999999999999'
const SRV2 = 'abcdef01-9999-4999-8999-999999999999'
const dirs: string[] = []
const tempStore = () => {
  const d = mkdtempSync(join(tmpdir(), 'socp-contacts-'))
  dirs.push(d)
  return join(d, 'nested', 'alice.sqlite')
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function contacts(path: string, events = new Emitter<SessionEvents>()) {
  const store = openClientStore(path)
  return { c: new Contacts(store, events, ME), store }
}

describe('Contacts: a key change is warned about once and refused both ways', () => {
  test('first key trusted; a different advertised key → key-changed, sends and receives refused', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const events = new Emitter<SessionEvents>()
    const warnings: SessionEvents['key-changed'][] = []
    events.on('key-changed', (e) => warnings.push(e))
    const path = tempStore()

    const first = contacts(path, events)
    first.c.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, true)
    expect(first.c.recipient('bob').pubkey.spki).toBe(k1.publicKey.spki)
    expect(first.c.senderKey(BOB, k1.publicKey.spki)).toMatchObject({ name: 'bob' })
    first.store.close()

    // A later session (same store) is handed another key for bob by a lying directory.
    const later = contacts(path, events).c
    later.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, true)
    later.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, true)
    expect(warnings).toEqual([
      {
        userId: BOB,
        username: 'bob',
        old: fingerprint(k1.publicKey),
        new: fingerprint(k2.publicKey),
        verified: false,
      },
    ])
    expect(() => later.recipient('bob')).toThrow(ChatError)
    expect(() => later.recipient(BOB)).toThrow(/changed since it was pinned.*refusing to send/)
    expect(later.senderKey(BOB, k2.publicKey.spki)).toMatch(/changed/)
    expect(later.publicMembers()).toEqual({ members: [], skipped: [`bob@99999999`] })
    expect(later.keyInfo('bob')).toMatchObject({
      fingerprint: fingerprint(k2.publicKey),
      pinned: fingerprint(k1.publicKey),
    })
  })

  test('a new id under a pinned name is a key change, not a first sighting; /trust accepts it', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const events = new Emitter<SessionEvents>()
    const warnings: SessionEvents['key-changed'][] = []
    events.on('key-changed', (e) => warnings.push(e))
    const { c, store } = contacts(tempStore(), events)
    c.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    c.verify('bob')
    c.learn({ userId: FAKE, username: 'bob', serverId: SRV2, pubkey: k2.publicKey.spki }, false)
    expect(warnings).toEqual([
      {
        userId: FAKE,
        username: 'bob',
        old: fingerprint(k1.publicKey),
        new: fingerprint(k2.publicKey),
        verified: true,
        pinnedId: BOB,
      },
    ])
    expect(store.contact(FAKE)).toBeNull() // never pinned
    expect(() => c.recipient('bob')).toThrow(/ambiguous; name one of: bob@99999999 .*bob@abcdef01 .*refused/)
    expect(c.recipient('bob@9999').userId).toBe(BOB)
    expect(() => c.recipient('bob@abcd')).toThrow(/refusing to send/)
    expect(c.senderKey(FAKE, k2.publicKey.spki)).toMatch(/changed/)
    expect(c.publicMembers().members.map((m) => m.userId)).toEqual([BOB])
    // The real bob, verified, shows no fingerprint on his lines.
    expect(c.senderKey(BOB, k1.publicKey.spki)).toEqual({ key: expect.anything(), name: 'bob' })

    c.trust(FAKE)
    expect(store.byName('bob').map((x) => x.userId)).toEqual([BOB, FAKE])
    expect(c.senderKey(FAKE, k2.publicKey.spki)).toMatchObject({
      name: 'bob',
      unverified: expect.any(String),
    })
  })

  test('a first sighting not yet written binds its key and name all the same', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const events = new Emitter<SessionEvents>()
    const warnings: SessionEvents['key-changed'][] = []
    events.on('key-changed', (e) => warnings.push(e))
    const path = tempStore()
    const { c, store } = contacts(path, events)
    c.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    // Nothing else was written, so bob's pin waits in memory (src/store/sightings.ts) …
    const disk = new Database(path, { readonly: true })
    expect(disk.query('SELECT user_id FROM contacts').all()).toEqual([])
    // … and still decides: another key for his id, and another id under his name, are refused.
    c.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, false)
    c.learn({ userId: FAKE, username: 'Bob', serverId: SRV2, pubkey: k2.publicKey.spki }, false)
    expect(warnings.map((w) => [w.userId, w.old, w.new, w.pinnedId])).toEqual([
      [BOB, fingerprint(k1.publicKey), fingerprint(k2.publicKey), undefined],
      [FAKE, fingerprint(k1.publicKey), fingerprint(k2.publicKey), BOB],
    ])
    expect(() => c.recipient(BOB)).toThrow(/changed since it was pinned/)
    store.close()
    expect(disk.query('SELECT user_id, pubkey FROM contacts').all()).toEqual([
      { user_id: BOB, pubkey: k1.publicKey.spki },
    ])
    disk.close()
  })

  test('a sender_pub that differs from the directory key is refused', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const { c } = contacts(':memory:')
    c.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    expect(c.senderKey(BOB, k2.publicKey.spki)).toBe('sender_pub differs from the directory key')
    expect(c.senderKey('44444444-4444-4444-8444-444444444444', k1.publicKey.spki)).toBe(
      'the sender is not in the directory',
    )
  })
})

describe('Contacts: sightings written late meet another client of the same account', () => {
  const A = '22222222-2222-4222-8222-222222222222'
  const B = '33333333-3333-4333-8333-333333333333'
  function client(path: string) {
    const events = new Emitter<SessionEvents>()
    const warnings: SessionEvents['key-changed'][] = []
    events.on('key-changed', (e) => warnings.push(e))
    const { c, store } = contacts(path, events)
    return { c, store, warnings }
  }

  test('another key pinned for the id meanwhile: found at the write, warned, never verified', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const path = tempStore()
    const p1 = client(path)
    const p2 = client(path)
    // A hostile server shows A with K1 to one process and with K2 to the other, within a second.
    p1.c.learn({ userId: A, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    p2.c.learn({ userId: A, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, false)
    p2.store.close() // its sightings are written first
    // p1's user compared K1 out of band: /verify writes p1's sightings, finds K2 pinned, refuses.
    expect(() => p1.c.verify('bob')).toThrow(/another client of this account pinned another one/)
    expect(p1.warnings.map((w) => [w.userId, w.old, w.new])).toEqual([
      [A, fingerprint(k2.publicKey), fingerprint(k1.publicKey)],
    ])
    expect(() => p1.c.recipient('bob')).toThrow(/changed since it was pinned/)
    expect(p1.store.contact(A)).toMatchObject({ pubkey: k2.publicKey.spki, verifiedAt: null })
    p1.store.close()
  })

  test('the name bound to another id meanwhile: the late pin is not written, its id is refused', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const path = tempStore()
    const p1 = client(path)
    const p2 = client(path)
    p1.c.learn({ userId: A, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    p2.c.learn({ userId: B, username: 'Bob', serverId: SRV, pubkey: k2.publicKey.spki }, false)
    p2.store.close()
    p1.store.close()
    expect(p1.warnings.map((w) => [w.userId, w.pinnedId])).toEqual([[A, B]])
    const disk = new Database(path, { readonly: true })
    expect(disk.query('SELECT username, user_id FROM names').all()).toEqual([{ username: 'bob', user_id: B }])
    disk.close()
  })

  test('a write that fails keeps its sightings deciding, and writes them at the next try', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const path = tempStore()
    const p1 = client(path)
    p1.c.learn({ userId: A, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    // Another process holds the write lock past the busy timeout (5 s) when the sightings' timer fires.
    const other = new Database(path)
    other.run('BEGIN IMMEDIATE')
    other.run("INSERT INTO replay (sig_hash, seen_at) VALUES (x'00', 1)")
    await Bun.sleep(1_100) // the timer fired and waited 5 s for the lock, in vain
    other.run('ROLLBACK')
    other.close()
    expect(p1.store.contact(A)?.pubkey).toBe(k1.publicKey.spki)
    p1.c.learn({ userId: A, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, false)
    expect(p1.warnings.map((w) => w.userId)).toEqual([A])
    await Bun.sleep(1_100) // the next try
    const disk = new Database(path, { readonly: true })
    expect(disk.query('SELECT pubkey FROM contacts WHERE user_id = ?').get(A)).toEqual({
      pubkey: k1.publicKey.spki,
    })
    disk.close()
    p1.store.close()
  }, 20_000)
})
