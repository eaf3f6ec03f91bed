/**
 * @module Issue 15 §6: one form per value. A signed DM redelivered by a hostile server under every
 * other spelling of its signature is shown once; lone surrogates and U+FFFD never share a
 * signature on any path; a self-DM signature never verifies as an `/all` item.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { Session } from '../../src/client/session.ts'
import {
  b64uDecode,
  b64uDecodeCanonical,
  b64uEncode,
  canonicalJson,
  concatBytes,
  dmPreimage,
  encrypt,
  sign,
  signContent,
  signPayload,
  utf8,
  verifyB64,
  verifyDm,
  verifyPayload,
  verifyPublic,
} from '../../src/crypto/index.ts'
import { testKey } from '../helpers/keys.ts'
import { tempDir, until } from '../helpers/servers.ts'
import { PASSWORD } from '../helpers/users.ts'
import { ATTACKER_KEY, dm } from './_attack.ts'
import { hostileServer } from './_hostile.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The 8 texts of one 512-byte value: 2 unused low bits in the last char, padded or not. */
function spellings(b64: string): string[] {
  const last = ALPHABET.indexOf(b64.at(-1)!)
  const bodies = [0, 1, 2, 3].map((bits) => b64.slice(0, -1) + ALPHABET[(last & ~3) | bits])
  return bodies.flatMap((b) => [b, `${b}=`])
}

describe('issue 15 §6: one form per value', () => {
  test('canonical base64url only: padding, + / and non-zero unused bits are refused', () => {
    const text = b64uEncode(new Uint8Array([0xff, 0xfe]))
    expect(b64uDecodeCanonical(text)).toEqual(new Uint8Array([0xff, 0xfe]))
    for (const bad of [`${text}=`, text.replace('_', '/'), `${text.slice(0, -1)}x`]) {
      expect(() => b64uDecodeCanonical(bad)).toThrow(TypeError)
      expect(b64uDecode(bad).byteLength).toBeGreaterThan(0) // server-link lenience, kept for interop
    }
  })

  test('a DM redelivered under its 8 spellings is shown once (the others are refused)', async () => {
    const mallory = { id: randomUUID(), key: await testKey(ATTACKER_KEY) }
    const h = hostileServer({
      others: () => [
        {
          user_id: mallory.id,
          username: 'mallory',
          server_id: randomUUID(),
          pubkey: mallory.key.publicKey.spki,
        },
      ],
    })
    const alice = await Session.connect(h.url, { dataDir: tempDir() })
    const me = await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
    const m = await dm(mallory, { id: me.userId, key: await testKey(0) }, 'once')
    const p = m.payload as { ciphertext: string; sender_pub: string; content_sig: string }
    const shown: string[] = []
    const errors: string[] = []
    alice.on('dm', (d) => shown.push(d.text))
    alice.on('error', (e) => errors.push(e.detail))
    const forms = spellings(p.content_sig)
    expect(new Set(forms).size).toBe(8)
    for (const content_sig of forms) {
      h.push(me.userId, {
        type: 'USER_DELIVER',
        from: h.serverId,
        to: me.userId,
        ts: m.ts,
        payload: { ciphertext: p.ciphertext, sender: mallory.id, sender_pub: p.sender_pub, content_sig },
      })
    }
    await until(() => shown.length + errors.length >= 8, 10_000, 'all eight handled')
    expect(shown).toEqual(['once'])
    expect(errors).toHaveLength(7)
    await alice.close()
  })

  test('lone surrogates: refused by canonical JSON in every style, so U+FFFD never shares a signature', async () => {
    const k = await testKey(0)
    for (const style of ['canonical', 'raw-utf8', 'spaced'] as const) {
      expect(() => canonicalJson({ t: '\ud800' }, style)).toThrow(TypeError)
    }
    expect(() => utf8('a\udc00')).toThrow(TypeError)
    const sig = b64uEncode(await sign(k.privateKey, utf8(canonicalJson({ t: '\ufffd' }, 'raw-utf8'))))
    expect(verifyPayload(k.publicKey, { t: '\ufffd' }, sig, true)).toBe(true)
    expect(verifyPayload(k.publicKey, { t: '\ud800' }, sig, true)).toBe(false)
    const sig2 = await signPayload(k.privateKey, { t: 'x' })
    expect(verifyB64(k.publicKey, utf8(canonicalJson({ t: 'x' })), `${sig2}=`)).toBe(false)
  })

  test('a self-DM signature does not verify as an /all item; the DM preimage is the spec one', async () => {
    const k = await testKey(0)
    const me = randomUUID()
    const ts = Date.now()
    const ct = encrypt(k.publicKey, utf8('self note'))
    const content_sig = await signContent(k.privateKey, dmPreimage(ct, me, me, ts))
    expect(verifyDm(k.publicKey, { ciphertext: b64uEncode(ct), from: me, to: me, ts, content_sig })).toBe(
      true,
    )
    // ct ‖ me ‖ me ‖ ts read as a public item: ciphertext' = ct ‖ me, from = me, same ts.
    const spliced = b64uEncode(concatBytes(ct, utf8(me)))
    expect(verifyPublic(k.publicKey, spliced, me, ts, content_sig)).toBe(false)
  })
})
