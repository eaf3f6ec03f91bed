/** @module PinStore and Contacts: first key pinned, a later different key warned about and refused. */

import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Contacts } from '../../src/client/contacts.ts'
import { Emitter, type SessionEvents } from '../../src/client/events.ts'
import { PinStore } from '../../src/client/pins.ts'
import { fingerprint } from '../../src/crypto/index.ts'
import { ChatError } from '../../src/errors.ts'
import { testKey } from '../helpers/keys.ts'

const BOB = '22222222-2222-4222-8222-222222222222'
const SRV = '99999999-9999-4999-8999-999999999999'
const dirs: string[] = []
const tempPins = () => {
  const d = mkdtempSync(join(tmpdir(), 'socp-pins-'))
  dirs.push(d)
  return join(d, 'nested', 'pins.json')
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('PinStore', () => {
  test('first sighting pins, the same key passes, another key is a change', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const path = tempPins()
    const pins = PinStore.open(path)
    expect(pins.check(BOB, 'bob', k1.publicKey.spki)).toEqual({ status: 'new' })
    expect(pins.check(BOB, 'bob', k1.publicKey.spki)).toEqual({ status: 'same' })
    expect(pins.check(BOB, 'bob', k2.publicKey.spki)).toEqual({
      status: 'changed',
      pinned: k1.publicKey.spki,
    })
    // A change never replaces the pin.
    expect(pins.get(BOB)).toBe(k1.publicKey.spki)
  })

  test('pins survive a reopen, in a file only the user can read', async () => {
    const k1 = await testKey(0)
    const path = tempPins()
    PinStore.open(path).check(BOB, 'bob', k1.publicKey.spki)
    expect(statSync(path).mode & 0o077).toBe(0)
    expect(JSON.parse(readFileSync(path, 'utf8')).pins[BOB].pubkey).toBe(k1.publicKey.spki)
    expect(PinStore.open(path).get(BOB)).toBe(k1.publicKey.spki)
  })

  test('a corrupt file is an error, never a silent fresh start', () => {
    const path = tempPins()
    PinStore.open(path).check(BOB, 'bob', 'x')
    writeFileSync(path, '{"v":1,"pins":')
    expect(() => PinStore.open(path)).toThrow(/corrupt/)
  })

  test('no path keeps pins in memory', () => {
    const pins = PinStore.open()
    expect(pins.check(BOB, 'bob', 'k')).toEqual({ status: 'new' })
    expect(pins.check(BOB, 'bob', 'k')).toEqual({ status: 'same' })
  })
})

describe('Contacts: a key change is warned about once and refused both ways', () => {
  test('first key trusted; a different advertised key → key-changed, sends and receives refused', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const events = new Emitter<SessionEvents>()
    const warnings: SessionEvents['key-changed'][] = []
    events.on('key-changed', (e) => warnings.push(e))
    const path = tempPins()

    const first = new Contacts(PinStore.open(path), events)
    first.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, true)
    expect(first.recipient('bob').pubkey.spki).toBe(k1.publicKey.spki)
    expect(first.senderKey(BOB, k1.publicKey.spki)).toMatchObject({ name: 'bob' })

    // A later session (same pins file) is handed another key for bob by a lying directory.
    const later = new Contacts(PinStore.open(path), events)
    later.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, true)
    later.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k2.publicKey.spki }, true)
    expect(warnings).toEqual([
      { userId: BOB, username: 'bob', old: fingerprint(k1.publicKey), new: fingerprint(k2.publicKey) },
    ])
    expect(() => later.recipient('bob')).toThrow(ChatError)
    expect(() => later.recipient(BOB)).toThrow(/changed since it was first seen; refusing/)
    expect(later.senderKey(BOB, k2.publicKey.spki)).toMatch(/changed/)
    expect(later.publicMembers()).toEqual({ members: [], skipped: ['bob'] })
    expect(later.keyInfo('bob')).toMatchObject({
      fingerprint: fingerprint(k2.publicKey),
      pinned: fingerprint(k1.publicKey),
    })
  })

  test('a sender_pub that differs from the directory key is refused', async () => {
    const [k1, k2] = await Promise.all([testKey(0), testKey(1)])
    const c = new Contacts(PinStore.open(), new Emitter())
    c.learn({ userId: BOB, username: 'bob', serverId: SRV, pubkey: k1.publicKey.spki }, false)
    expect(c.senderKey(BOB, k2.publicKey.spki)).toBe('sender_pub differs from the directory key')
    expect(c.senderKey('44444444-4444-4444-8444-444444444444', k1.publicKey.spki)).toBe(
      'the sender is not in the directory',
    )
  })
})
