/** @module The shared interop vectors (test/fixtures/vectors.json), made with Python cryptography. */

import { beforeAll, describe, expect, test } from 'bun:test'
import {
  b64uDecode,
  canonicalJson,
  decrypt,
  fromUtf8,
  importPrivateKey,
  importPublicKey,
  type PrivateKey,
  type PublicKey,
  verifyDm,
  verifyPayload,
  verifyPublic,
} from '../../src/crypto/index.ts'
import { ChatError } from '../../src/errors.ts'
import { loadVectors, type Vectors } from '../helpers/vectors.ts'

const v: Vectors = await loadVectors()
const pub: Record<string, PublicKey> = {}
const priv: Record<string, PrivateKey> = {}

beforeAll(async () => {
  for (const name of ['alice', 'bob', 'server'] as const) {
    pub[name] = importPublicKey(v.keys[name].spki)
    priv[name] = await importPrivateKey(v.keys[name].pkcs8)
  }
})

describe('canonical JSON', () => {
  test.each(v.canonical_json.map((c, i) => [i, c] as const))(
    'vector %d: canonical, raw UTF-8 and spaced bytes',
    (_, c) => {
      expect(canonicalJson(c.payload)).toBe(c.canonical)
      expect(canonicalJson(c.payload, 'raw-utf8')).toBe(c.raw_utf8_variant)
      expect(canonicalJson(c.payload, 'spaced')).toBe(c.spaced_variant)
    },
  )

  test('floats and non-JSON values are refused', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(TypeError)
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError)
    expect(() => canonicalJson({ a: 2 ** 60 })).toThrow(TypeError)
  })

  test('keys sort by code point, not UTF-16 unit', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFFFF': 2 })).toBe('{"\\uffff":2,"\\ud83d\\ude00":1}')
  })
})

describe('transport signatures', () => {
  test.each(v.transport_sig.map((s, i) => [i, s] as const))('vector %d', (_, s) => {
    const key = pub[s.signer]!
    expect(verifyPayload(key, s.payload, s.sig_salt_max)).toBe(true)
    expect(verifyPayload(key, s.payload, s.sig_salt_32)).toBe(true)
    expect(verifyPayload(key, s.payload, s.sig_pkcs1v15_must_reject)).toBe(false)
    expect(verifyPayload(key, s.payload, s.sig_pkcs1v15_must_reject, true)).toBe(false)
    // The spaced serialisation is a server-link leniency only (PROTOCOL.md §3.1).
    const spacedDiffers = canonicalJson(s.payload, 'spaced') !== canonicalJson(s.payload)
    expect(verifyPayload(key, s.payload, s.sig_over_spaced_variant)).toBe(!spacedDiffers)
    expect(verifyPayload(key, s.payload, s.sig_over_spaced_variant, true)).toBe(true)
    expect(verifyPayload(pub.alice!, s.payload, s.sig_salt_max, true)).toBe(false)
  })
})

describe('DM content signature and decryption', () => {
  test('decrypts to the plaintext', async () => {
    const pt = await decrypt(priv[v.dm.recipient]!, b64uDecode(v.dm.ciphertext))
    expect(fromUtf8(pt)).toBe(v.dm.plaintext_utf8)
  })

  test('content_sig verifies against the sender key, strictly', () => {
    const sender = importPublicKey(v.dm.sender_pub)
    expect(verifyDm(sender, v.dm)).toBe(true)
    expect(verifyDm(pub.bob!, v.dm)).toBe(false)
    expect(verifyDm(sender, { ...v.dm, ts: v.dm.ts + 1 })).toBe(false)
    expect(verifyDm(sender, { ...v.dm, to: v.dm.from })).toBe(false)
  })

  test.each(Object.entries(v.dm.variants))('variant %s: accepted only when lenient', (_, sig) => {
    const sender = importPublicKey(v.dm.sender_pub)
    expect(verifyDm(sender, { ...v.dm, content_sig: sig })).toBe(false)
    expect(verifyDm(sender, { ...v.dm, content_sig: sig }, true)).toBe(true)
  })
})

describe('public channel', () => {
  test('content_sig verifies and alice decrypts', async () => {
    const p = v.public
    expect(
      verifyPublic(importPublicKey(p.sender_pub), p.ciphertext_for_alice, p.from, p.ts, p.content_sig),
    ).toBe(true)
    expect(
      verifyPublic(importPublicKey(p.sender_pub), p.ciphertext_for_alice, p.from, p.ts + 1, p.content_sig),
    ).toBe(false)
    expect(fromUtf8(await decrypt(priv.alice!, b64uDecode(p.ciphertext_for_alice)))).toBe(p.plaintext_utf8)
  })
})

describe('keys', () => {
  test('OAEP limits', () => {
    expect(b64uDecode(v.dm.ciphertext).byteLength).toBe(v.oaep_limits.ciphertext_bytes)
    expect(v.dm.ciphertext.length).toBe(v.oaep_limits.ciphertext_b64url_chars)
  })

  test.each(Object.entries(v.bad_keys_must_reject))('%s is rejected with BAD_KEY', (_, key) => {
    let caught: unknown
    try {
      importPublicKey(key)
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(ChatError)
    expect((caught as ChatError).code).toBe('BAD_KEY')
  })

  test.each(Object.entries(v.accept_pubkey_encodings).filter(([k]) => k !== 'note'))(
    '%s maps to the same key',
    (_, text) => {
      expect(importPublicKey(text).spki).toBe(v.accept_pubkey_encodings.der_spki_b64url!)
    },
  )
})
