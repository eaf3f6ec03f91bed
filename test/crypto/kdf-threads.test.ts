/**
 * @module The KDF threads (src/crypto/kdf-threads.ts): scrypt and argon2id computed on threads of
 * their own give exactly what the same functions give in the JS thread, jobs beyond the threads
 * wait and all complete, and a failing job fails alone.
 */

import { describe, expect, test } from 'bun:test'
import { hkdfSync, scryptSync } from 'node:crypto'
import {
  b64uDecode,
  b64uEncode,
  checkVerifier,
  deriveKeys,
  hashVerifier,
  newKdfParams,
} from '../../src/crypto/index.ts'
import { KdfThreads } from '../../src/crypto/kdf-threads.ts'

describe('KDF threads', () => {
  test('deriveKeys is scrypt then HKDF, as computed in this thread', async () => {
    const kdf = newKdfParams('alice')
    const keys = await deriveKeys('correct horse', kdf)
    const master = scryptSync('correct horse', b64uDecode(kdf.salt), 64, {
      N: kdf.N,
      r: kdf.r,
      p: kdf.p,
      maxmem: 256 * kdf.N * kdf.r * 2,
    })
    const expand = (info: string) => new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), info, 32))
    expect(keys.blobKey).toEqual(expand('socp/v1/privkey-blob'))
    expect(keys.authKey).toBe(b64uEncode(expand('socp/v1/auth')))
    expect(keys.historyKey).toEqual(expand('socp/v1/client-history'))
  })

  test('an argon2id verifier made on a thread checks in this thread and on a thread', async () => {
    const verifier = await hashVerifier('the auth key')
    expect(verifier.startsWith('$argon2id$')).toBe(true)
    expect(await Bun.password.verify('the auth key', verifier)).toBe(true)
    expect(await checkVerifier('the auth key', verifier)).toBe(true)
    expect(await checkVerifier('another key', verifier)).toBe(false)
    // A stored verifier that is not one is a failed check, never a throw.
    expect(await checkVerifier('the auth key', 'not a verifier')).toBe(false)
    const inThread = await Bun.password.hash('k2', { algorithm: 'argon2id', memoryCost: 19456, timeCost: 2 })
    expect(await checkVerifier('k2', inThread)).toBe(true)
  })

  test('more jobs than threads wait their turn, and every one completes with its own answer', async () => {
    const threads = new KdfThreads(1)
    const salts = [1, 2, 3, 4].map((i) => new Uint8Array(16).fill(i))
    const params = { N: 1024, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
    const got = await Promise.all(
      salts.map((salt) => threads.run({ op: 'scrypt', password: 'pw', salt, length: 32, params })),
    )
    salts.forEach((salt, i) => {
      expect(got[i]).toEqual(new Uint8Array(scryptSync('pw', salt, 32, params)))
    })
  })

  test('a job that throws fails alone; the thread goes on with the next', async () => {
    const threads = new KdfThreads(1)
    const params = { N: 1024, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
    const bad = threads.run({
      op: 'scrypt',
      password: 'pw',
      salt: new Uint8Array(8),
      length: 32,
      params: { ...params, N: 1000 },
    })
    const good = threads.run({ op: 'scrypt', password: 'pw', salt: new Uint8Array(8), length: 32, params })
    await expect(bad).rejects.toThrow()
    expect(await good).toEqual(new Uint8Array(scryptSync('pw', new Uint8Array(8), 32, params)))
  })
})
