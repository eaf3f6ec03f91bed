/**
 * @module Issue 15 §2 and §5: the server chooses neither the KDF nor the clock. A hostile home
 * server offering a lower cost, a fixed salt or a memory bomb gets no AUTH_RESPONSE; an account
 * made with server-era parameters migrates at its next login on a real server (USER_REKEY) and
 * refuses them afterwards, by name and by id; a server clock beyond minutes is a clear error.
 */

import { describe, expect, test } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import { Session } from '../../src/client/session.ts'
import {
  accountSalt,
  b64uEncode,
  DEFAULT_KDF,
  deriveKeys,
  type KdfParams,
  sealPrivateKey,
} from '../../src/crypto/index.ts'
import { ChatError } from '../../src/errors.ts'
import { cliClient } from '../helpers/cli.ts'
import { testKey } from '../helpers/keys.ts'
import { server, tempDir, until } from '../helpers/servers.ts'
import { PASSWORD } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { signed } from './_attack.ts'
import { type Hostile, hostileServer, type Kdf } from './_hostile.ts'

const FIXED_SALT = b64uEncode(Buffer.alloc(16, 7))

async function failure(p: Promise<unknown>): Promise<ChatError> {
  try {
    await p
  } catch (e) {
    if (e instanceof ChatError) return e
    throw new Error(`not a ChatError: ${String(e)}`)
  }
  throw new Error('it did not fail')
}

/** Registers alice through the real client on `h`, then offers `kdf` at her next login. */
async function loginOffered(h: Hostile, kdf: (a: Kdf) => Kdf, opts: { strictKdf?: boolean } = {}) {
  const dataDir = tempDir()
  const first = await Session.connect(h.url, { dataDir })
  await first.register('alice', PASSWORD, { keyPair: await testKey(0) })
  await first.close()
  h.opts.challenge = (_login, a) => kdf(a!.kdf)
  const responses = () => h.received.filter((f) => f.type === 'AUTH_RESPONSE').length
  const before = responses()
  const s = await Session.connect(h.url, { dataDir, ...opts })
  const started = performance.now()
  const err = await failure(s.login('alice', PASSWORD))
  await s.close()
  return { err, sentAuthKey: responses() > before, ms: performance.now() - started }
}

describe('issue 15 §2: the client owns its KDF', () => {
  test('registration uses the username-derived salt at the default cost', async () => {
    const h = hostileServer()
    const s = await Session.connect(h.url)
    await s.register('Alice', PASSWORD, { keyPair: await testKey(0) })
    await s.close()
    const [a] = [...h.accounts.values()]
    expect(a!.kdf).toEqual({ name: 'scrypt', salt: accountSalt('alice'), ...DEFAULT_KDF })
  })

  test.each([
    ['half the registered cost', (k: Kdf) => ({ ...k, N: k.N / 2 }), /below the client floor/],
    ['a fixed salt for a migrated account', (k: Kdf) => ({ ...k, salt: FIXED_SALT }), /already migrated/],
    [
      'a memory bomb (N = 2^20, p = 4)',
      (k: Kdf) => ({ ...k, N: 2 ** 20, p: 4 }),
      /outside the client bounds/,
    ],
    ['r = 1024', (k: Kdf) => ({ ...k, r: 1024 }), /outside the client bounds/],
  ])('a hostile challenge with %s gets no AUTH_RESPONSE', async (_what, kdf, why) => {
    const h = hostileServer()
    const r = await loginOffered(h, kdf)
    expect(r.err.code).toBe('AUTH_FAILED')
    expect(r.err.message).toMatch(why)
    expect(r.sentAuthKey).toBe(false)
    expect(r.ms).toBeLessThan(2_000) // refused before any scrypt, bomb or not
  })

  test('two users with one password never share a salt: one table cannot serve both', async () => {
    const h = hostileServer({ challenge: () => ({ name: 'scrypt', salt: FIXED_SALT, ...DEFAULT_KDF }) })
    const s = await Session.connect(h.url, { strictKdf: true })
    for (const name of ['alice', 'bob']) {
      expect((await failure(s.login(name, PASSWORD))).code).toBe('AUTH_FAILED')
    }
    await s.close()
    expect(h.received.filter((f) => f.type === 'AUTH_RESPONSE')).toEqual([])
    expect(accountSalt('alice')).not.toBe(accountSalt('bob'))
  })

  test('a legacy account on a real server migrates at next login, then refuses legacy, by name and by id', async () => {
    const s = await server()
    const kp = await testKey(2)
    const id = randomUUID()
    const legacy: KdfParams = { name: 'scrypt', salt: b64uEncode(randomBytes(16)), N: 2 ** 15, r: 8, p: 1 }
    const { blobKey, authKey } = await deriveKeys(PASSWORD, legacy)
    const peer = await connect(s.url)
    const payload = {
      username: 'carol',
      pubkey: kp.publicKey.spki,
      privkey_store: sealPrivateKey(kp.pkcs8, blobKey, legacy),
      kdf: legacy,
      auth_key: authKey,
    }
    peer.send(await signed(kp, { type: 'USER_REGISTER', from: id, to: '', payload }))
    await peer.next('AUTH_OK')
    peer.close()

    const dataDir = tempDir()
    const carol = await Session.connect(s.url, { dataDir })
    await carol.login('carol', PASSWORD)
    expect(s.ctx.store.users.byId(id)?.kdf).toEqual({
      name: 'scrypt',
      salt: accountSalt('carol'),
      ...DEFAULT_KDF,
    })
    await carol.close()
    await until(() => s.ctx.presence.local.size === 0)
    // The old parameters are gone on the server; the new ones open the same key, by id too.
    const again = await Session.connect(s.url, { dataDir, strictKdf: true })
    expect(await again.login(id, PASSWORD)).toEqual({ userId: id, username: 'carol' })
    await again.close()
  })

  test('login by id: the salt comes from the username this client recorded, not from the server', async () => {
    const h = hostileServer()
    const dataDir = tempDir()
    const first = await Session.connect(h.url, { dataDir })
    const { userId } = await first.register('alice', PASSWORD, { keyPair: await testKey(0) })
    await first.close()
    // The server answers the id with another name's salt (the table it already has).
    h.opts.challenge = (_login, a) => ({ ...a!.kdf, salt: accountSalt('bob') })
    const s = await Session.connect(h.url, { dataDir })
    expect((await failure(s.login(userId, PASSWORD))).code).toBe('AUTH_FAILED')
    await s.close()
    expect(h.received.filter((f) => f.type === 'AUTH_RESPONSE')).toEqual([])
  })
})

describe('issue 15 §5: the server clock is believed within minutes only', () => {
  test.each([
    ['30 days ahead', () => Date.now() + 30 * 86_400_000, /off ours by 43200 minutes/],
    ['2^53 − 1', () => Number.MAX_SAFE_INTEGER, /off ours by/],
  ])('server_ts %s: a clear BAD_REQUEST, no USER_HELLO signed with its date', async (_w, ts, why) => {
    const h = hostileServer()
    const dataDir = tempDir()
    const first = await Session.connect(h.url, { dataDir })
    await first.register('alice', PASSWORD, { keyPair: await testKey(0) })
    await first.close()
    h.opts.serverTs = ts
    const s = await Session.connect(h.url, { dataDir })
    const hellos = h.received.filter((f) => f.type === 'USER_HELLO').length
    const err = await failure(s.login('alice', PASSWORD))
    expect(err.code).toBe('BAD_REQUEST')
    expect(err.message).toMatch(why)
    expect(h.received.filter((f) => f.type === 'USER_HELLO').length).toBe(hellos)
    await s.close()
  })

  test('a few minutes of skew are accepted; the real CLI reports a bad clock clearly', async () => {
    const h = hostileServer({ serverTs: () => Date.now() + 4 * 60_000 })
    const s = await Session.connect(h.url)
    await s.register('alice', PASSWORD, { keyPair: await testKey(0) })
    await s.close()
    h.opts.serverTs = () => Date.now() - 10 * 86_400_000
    const cli = cliClient(h.url)
    cli.send('/register carol')
    await cli.waitFor(/^\[ERROR\] BAD_REQUEST: the server clock is off ours by -14400 minutes/)
    expect(await cli.end()).toBe(1)
  }, 30_000)
})
