/** @module Crypto round-trips, tampering and wrong keys, on real RSA-4096 keys. */

import { describe, expect, test } from 'bun:test'
import {
  assertKdfParams,
  b64uDecode,
  b64uEncode,
  canonicalJson,
  chunkDigest,
  decrypt,
  deriveKeys,
  dmPreimage,
  encrypt,
  fileEndPreimage,
  fingerprint,
  importPrivateKey,
  importPublicKey,
  newKdfParams,
  openPrivateKey,
  sealPrivateKey,
  sign,
  signCanonical,
  signContent,
  signPayload,
  utf8,
  verify,
  verifyContent,
  verifyDm,
  verifyPayload,
} from '../../src/crypto/index.ts'
import { ChatError, DecryptFailed } from '../../src/errors.ts'
import weak from '../fixtures/weak-keys.json'
import { testKey } from '../helpers/keys.ts'

describe('sign / verify', () => {
  test('a signature verifies, and fails after any tampering or with another key', async () => {
    const a = await testKey(0)
    const b = await testKey(1)
    const data = utf8('hello')
    const sig = await sign(a.privateKey, data)
    expect(sig.byteLength).toBe(512)
    expect(verify(a.publicKey, data, sig)).toBe(true)
    expect(verify(a.publicKey, utf8('hellp'), sig)).toBe(false)
    const bent = sig.slice()
    bent[100]! ^= 1
    expect(verify(a.publicKey, data, bent)).toBe(false)
    expect(verify(b.publicKey, data, sig)).toBe(false)
    expect(verify(a.publicKey, data, sig.subarray(0, 256))).toBe(false)
  })

  test('signs with the maximum salt, which WebCrypto with saltLength 478 accepts', async () => {
    const a = await testKey(0)
    const data = utf8('salt')
    const sig = await sign(a.privateKey, data)
    const k = await crypto.subtle.importKey(
      'spki',
      b64uDecode(a.publicKey.spki) as Uint8Array<ArrayBuffer>,
      { name: 'RSA-PSS', hash: 'SHA-256' },
      false,
      ['verify'],
    )
    expect(
      await crypto.subtle.verify(
        { name: 'RSA-PSS', saltLength: 478 },
        k,
        sig as Uint8Array<ArrayBuffer>,
        data as Uint8Array<ArrayBuffer>,
      ),
    ).toBe(true)
  })

  test('payload signatures cover the canonical payload only', async () => {
    const a = await testKey(0)
    const sig = await signPayload(a.privateKey, { b: 1, a: 'x' })
    expect(verifyPayload(a.publicKey, { a: 'x', b: 1 }, sig)).toBe(true)
    expect(verifyPayload(a.publicKey, { a: 'x', b: 2 }, sig)).toBe(false)
    expect(verifyPayload(a.publicKey, { a: 'x', b: 1 }, 'not base64!')).toBe(false)
    expect(verifyPayload(a.publicKey, { a: 1.5 }, sig)).toBe(false)
  })

  test('a payload signed from its canonical text verifies as one signed from the object', async () => {
    const a = await testKey(0)
    const sig = await signCanonical(a.privateKey, canonicalJson({ b: [1, 'é'], a: { z: 1, y: null } }))
    expect(verifyPayload(a.publicKey, { a: { y: null, z: 1 }, b: [1, 'é'] }, sig)).toBe(true)
    expect(verifyPayload(a.publicKey, { a: { y: null, z: 2 }, b: [1, 'é'] }, sig)).toBe(false)
  })

  test('DM content signatures bind from, to and ts', async () => {
    const a = await testKey(0)
    const b = await testKey(1)
    const ct = encrypt(b.publicKey, utf8('hi'))
    const m = { ciphertext: b64uEncode(ct), from: 'f', to: 't', ts: 5, content_sig: '' }
    m.content_sig = await signContent(a.privateKey, dmPreimage(ct, m.from, m.to, m.ts))
    expect(verifyDm(a.publicKey, m)).toBe(true)
    expect(verifyDm(a.publicKey, { ...m, from: 't', to: 'f' })).toBe(false)
    expect(verifyDm(b.publicKey, m)).toBe(false)
  })

  test('one file-end signature covers every chunk in order', async () => {
    const a = await testKey(0)
    const chunks = [utf8('one'), utf8('two')]
    const fields = { from: 'f', to: 't', file_id: 'x', chunks: 2, digest: chunkDigest(chunks) }
    const sig = await signContent(a.privateKey, fileEndPreimage(fields))
    expect(verifyContent(a.publicKey, fileEndPreimage(fields), sig)).toBe(true)
    const swapped = { ...fields, digest: chunkDigest([chunks[1]!, chunks[0]!]) }
    expect(verifyContent(a.publicKey, fileEndPreimage(swapped), sig)).toBe(false)
  })
})

describe('encrypt / decrypt', () => {
  test('round-trips up to 446 bytes and refuses 447', async () => {
    const a = await testKey(0)
    const max = new Uint8Array(446).fill(7)
    expect(await decrypt(a.privateKey, encrypt(a.publicKey, max))).toEqual(max)
    expect(() => encrypt(a.publicKey, new Uint8Array(447))).toThrow(ChatError)
  })

  test('wrong key, tampering and bad lengths all fail as DecryptFailed', async () => {
    const a = await testKey(0)
    const b = await testKey(1)
    const ct = encrypt(a.publicKey, utf8('secret'))
    await expect(decrypt(b.privateKey, ct)).rejects.toBeInstanceOf(DecryptFailed)
    const bent = ct.slice()
    bent[3]! ^= 1
    await expect(decrypt(a.privateKey, bent)).rejects.toBeInstanceOf(DecryptFailed)
    await expect(decrypt(a.privateKey, ct.subarray(1))).rejects.toBeInstanceOf(DecryptFailed)
  })
})

describe('keys', () => {
  test('an 8192-bit key is refused with BAD_KEY', () => {
    expect(() => importPublicKey(weak.rsa8192_spki)).toThrow(ChatError)
  })

  test('fingerprints are stable and distinct', async () => {
    const a = await testKey(0)
    const b = await testKey(1)
    expect(fingerprint(a.publicKey)).toMatch(/^([0-9a-f]{4}:){15}[0-9a-f]{4}$/)
    expect(fingerprint(a.publicKey)).toBe(fingerprint(importPublicKey(a.publicKey.spki)))
    expect(fingerprint(a.publicKey)).not.toBe(fingerprint(b.publicKey))
  })
})

describe('key blob', () => {
  test('round-trips with the password and fails uniformly without it', async () => {
    const a = await testKey(0)
    const kdf = newKdfParams('alice')
    const good = await deriveKeys('correct horse', kdf)
    const store = sealPrivateKey(a.pkcs8, good.blobKey, kdf)
    const opened = openPrivateKey(store, good.blobKey)
    expect(opened).toEqual(a.pkcs8)
    expect((await importPrivateKey(opened)).publicKey.spki).toBe(a.publicKey.spki)
    const bad = await deriveKeys('correct horsf', kdf)
    expect(() => openPrivateKey(store, bad.blobKey)).toThrow(DecryptFailed)
    expect(() => openPrivateKey('garbage', good.blobKey)).toThrow(DecryptFailed)
    expect(new TextDecoder().decode(b64uDecode(store))).not.toContain(b64uEncode(a.pkcs8).slice(0, 40))
  })

  test('the auth key cannot open the blob and differs from the blob key', async () => {
    const a = await testKey(0)
    const kdf = newKdfParams('alice')
    const keys = await deriveKeys('pw', kdf)
    const store = sealPrivateKey(a.pkcs8, keys.blobKey, kdf)
    expect(keys.authKey).not.toBe(b64uEncode(keys.blobKey))
    expect(() => openPrivateKey(store, b64uDecode(keys.authKey))).toThrow(DecryptFailed)
  })

  test('weak KDF parameters are refused', () => {
    const kdf = newKdfParams('alice')
    expect(() => assertKdfParams({ ...kdf, N: 1024 })).toThrow(ChatError)
    expect(() => assertKdfParams({ ...kdf, N: 2 ** 15 + 1 })).toThrow(ChatError)
    expect(() => assertKdfParams({ ...kdf, salt: 'AA' })).toThrow(ChatError)
    expect(() => assertKdfParams(kdf)).not.toThrow()
  })
})
