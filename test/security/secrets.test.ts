/**
 * @module Secrets at rest and login oracles (issue 5): after real traffic — register, login, DMs
 * across servers, `/all`, a file — neither server database holds a private key, the password,
 * anything derived from it that could open the key blob, the group key, message text, file
 * content or ciphertext. A failed login looks the same, and takes about as long, whether or not
 * the account exists.
 */

import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { b64uDecode, decrypt, deriveKeys, utf8 } from '../../src/crypto/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, tempDir, until } from '../helpers/servers.ts'
import { PASSWORD, user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { dm, rawLogin, rawUser } from './_attack.ts'

/** The database file with its WAL and shared-memory files: everything SQLite ever wrote. */
function dbBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((p) => readFileSync(p)))
}

/**
 * True when any 24-byte slice of `secret`, or any 32-char slice of its base64, base64url or hex
 * form, occurs in `hay`: a long value may be split across SQLite pages.
 */
function leaks(hay: Buffer, secret: Uint8Array): boolean {
  const raw = Buffer.from(secret)
  for (let i = 0; i + 24 <= raw.length; i += 24) if (hay.includes(raw.subarray(i, i + 24))) return true
  if (raw.length < 24 && raw.length >= 8 && hay.includes(raw)) return true
  const text = hay.toString('latin1')
  for (const e of [raw.toString('base64'), raw.toString('base64url'), raw.toString('hex')]) {
    for (let i = 0; i + 32 <= e.length; i += 32) if (text.includes(e.slice(i, i + 32))) return true
  }
  return false
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

describe('secrets', () => {
  test('the databases hold no private key, password, auth or blob key, group key, message or file', async () => {
    const [intro, a] = await mesh(1)
    const alice = await user(a!, 'alice', 0)
    const bob = await user(intro!, 'bob', 1)
    await until(async () => (await alice.list()).length === 2, 3_000, 'both online')
    const dmText = 'SECRET-DM-correct-horse-7f3a9b'
    const allText = 'SECRET-ALL-battery-staple-2c81'
    const got = bob.next('dm', (m) => m.text === dmText)
    await alice.tell('bob', dmText)
    await got
    const pub = bob.next('public', (m) => m.text === allText)
    await alice.all(allText)
    await pub
    const content = crypto.getRandomValues(new Uint8Array(3000))
    const path = join(tempDir(), 'secret.bin')
    writeFileSync(path, content)
    const file = bob.next('file', () => true, 20_000)
    await alice.sendFile('bob', path)
    await file
    // A raw sender, so the ciphertext on the wire is known too.
    const mallory = await rawUser(intro!, 'mallory', 2)
    const wire = await dm(mallory, { id: bob.userId!, key: await testKey(1) }, 'SECRET-RAW-DM')
    const raw = bob.next('dm', (m) => m.text === 'SECRET-RAW-DM')
    mallory.peer.send(wire)
    await raw

    const secrets: [string, Uint8Array][] = [
      ['password', utf8(PASSWORD)],
      ['dm text', utf8(dmText)],
      ['public text', utf8(allText)],
      ['file content', content],
      ['dm ciphertext', b64uDecode(String(wire.payload.ciphertext))],
    ]
    for (const [who, i] of [
      ['alice', 0],
      ['bob', 1],
      ['mallory', 2],
      ['server 0', 50],
      ['server 1', 51],
    ] as const) {
      secrets.push([`${who} private key`, (await testKey(i)).pkcs8])
    }
    for (const [s, name, key] of [
      [a!, 'alice', 0],
      [intro!, 'bob', 1],
    ] as const) {
      const account = s.ctx.store.users.byUsername(name)!
      const { blobKey, authKey } = await deriveKeys(PASSWORD, account.kdf)
      secrets.push([`${name} blob key`, blobKey], [`${name} auth key`, b64uDecode(authKey)])
      // The server wrapped a fresh group key to each member and dropped it: unwrap it, then look.
      const wrap = s.ctx.store.channel.members().find((m) => m.memberId === account.userId)!
      const groupKey = await decrypt((await testKey(key)).privateKey, b64uDecode(wrap.wrappedKey))
      expect(groupKey.byteLength).toBe(32)
      secrets.push([`group key wrapped for ${name}`, groupKey])
    }
    for (const s of [intro!, a!]) {
      const hay = dbBytes(s.db)
      // A positive control: public keys are stored, and the scan finds them.
      expect(leaks(hay, b64uDecode((await testKey(0)).publicKey.spki))).toBe(true)
      const found = secrets.filter(([, v]) => leaks(hay, v)).map(([what]) => what)
      expect(found).toEqual([])
    }
  })

  test('a failed login looks the same for an unknown user and a wrong password', async () => {
    const s = await server()
    const [alice] = await Promise.all([user(s, 'alice', 0), user(s, 'bob', 1), user(s, 'carol', 2)])
    const aliceId = alice.userId!
    // The challenge: same shape, a salt as stable per name as a real account's.
    const challenge = async (login: string) => {
      const c = await connect(s.url)
      c.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login } })
      const f = await c.next()
      c.close()
      return f
    }
    const real = await challenge('alice')
    const fake = await challenge('nobody_here')
    expect(fake.type).toBe('AUTH_CHALLENGE')
    expect(Object.keys(fake.payload.kdf as object).sort()).toEqual(
      Object.keys(real.payload.kdf as object).sort(),
    )
    const { salt: realSalt, ...realRest } = real.payload.kdf as { salt: string }
    const { salt: fakeSalt, ...fakeRest } = fake.payload.kdf as { salt: string }
    expect(fakeRest).toEqual(realRest)
    expect(fakeSalt.length).toBe(realSalt.length)
    expect(((await challenge('nobody_here')).payload.kdf as { salt: string }).salt).toBe(fakeSalt)
    expect(((await challenge('NOBODY_HERE')).payload.kdf as { salt: string }).salt).toBe(fakeSalt)
    expect(((await challenge('someone_else')).payload.kdf as { salt: string }).salt).not.toBe(fakeSalt)
    // The answer: identical code and detail; comparable time (both pay for one argon2id check).
    const known: number[] = []
    const unknown: number[] = []
    const answers = new Set<string>()
    for (const [name, ghost] of [
      ['alice', 'ghost_one'],
      ['bob', 'ghost_two'],
      ['carol', 'ghost_three'],
    ]) {
      const k = await rawLogin(s, name!, 'not the password')
      const u = await rawLogin(s, ghost!, 'not the password')
      known.push(k.elapsedMs)
      unknown.push(u.elapsedMs)
      answers.add(JSON.stringify([k.answer.type, k.answer.payload]))
      answers.add(JSON.stringify([u.answer.type, u.answer.payload]))
    }
    expect([...answers]).toEqual([
      JSON.stringify(['ERROR', { code: 'AUTH_FAILED', detail: 'invalid username or password' }]),
    ])
    const ratio = median(unknown) / median(known)
    expect(ratio).toBeGreaterThan(0.33)
    expect(ratio).toBeLessThan(3)
    // Repeated failures slow both down alike: the gate is per account or typed login, existing or
    // not. Three failures are free (typos); after the fourth the next check waits a second.
    for (const name of ['alice', 'ghost_one']) {
      for (let i = 0; i < 3; i++) await rawLogin(s, name, 'still wrong')
      expect(s.ctx.guard.gate.failures(name === 'alice' ? aliceId : `login:${name}`)).toBe(4)
      const t0 = Date.now()
      expect((await rawLogin(s, name, 'still wrong')).answer.payload.code).toBe('AUTH_FAILED')
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    }
  })
})
