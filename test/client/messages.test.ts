/** @module Sealing and opening DMs and /all batches: limits, batching, and what gets rejected. */

import { beforeAll, describe, expect, test } from 'bun:test'
import {
  messageBytes,
  openDirect,
  openPublic,
  PUBLIC_BATCH,
  publicFrames,
  Rejected,
  sealDirect,
} from '../../src/client/messages.ts'
import { type KeyPair, utf8, verifyPayload } from '../../src/crypto/index.ts'
import { ChatError } from '../../src/errors.ts'
import { MsgPublicChannelPayloadSchema } from '../../src/protocol/index.ts'
import { testKey } from '../helpers/keys.ts'

const A = '11111111-1111-4111-8111-111111111111'
const B = '22222222-2222-4222-8222-222222222222'
let alice: KeyPair
let bob: KeyPair
beforeAll(async () => {
  ;[alice, bob] = await Promise.all([testKey(0), testKey(1)])
})

describe('messageBytes', () => {
  test('446 bytes fit, 447 are refused with a clear message', () => {
    expect(messageBytes('x'.repeat(446)).byteLength).toBe(446)
    expect(() => messageBytes('x'.repeat(447))).toThrow(
      new ChatError('BAD_REQUEST', 'message too long: 447 bytes, at most 446 fit in one RSA-4096 block'),
    )
    // UTF-8 bytes count, not characters.
    expect(() => messageBytes('€'.repeat(149))).toThrow(/447 bytes/)
  })
})

describe('DMs', () => {
  test('round trip; a changed ts, sender or recipient is rejected', async () => {
    const ts = 1_700_000_000_000
    const p = await sealDirect(alice.privateKey, bob.publicKey, utf8('hi bob'), { from: A, to: B, ts })
    const m = { ciphertext: p.ciphertext, content_sig: p.content_sig, from: A, to: B, ts }
    expect(await openDirect(bob.privateKey, alice.publicKey, m)).toBe('hi bob')
    for (const bad of [
      { ...m, ts: ts + 1 },
      { ...m, from: B },
      { ...m, to: A },
    ]) {
      await expect(openDirect(bob.privateKey, alice.publicKey, bad)).rejects.toBeInstanceOf(Rejected)
    }
    // Verified against the wrong key (not the directory's): rejected before any decryption.
    await expect(openDirect(bob.privateKey, bob.publicKey, m)).rejects.toThrow(
      'its signature does not verify',
    )
  })
})

describe('/all', () => {
  test(`batches of at most ${PUBLIC_BATCH}, each signed, each item for its member`, async () => {
    const members = Array.from({ length: 40 }, (_, i) => ({
      userId: `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
      pubkey: bob.publicKey,
    }))
    const frames = await publicFrames(alice.privateKey, members, utf8('hello all'), { from: A, ts: 5 })
    expect(frames.map((f) => (f.payload as { items: unknown[] }).items.length)).toEqual([32, 8])
    for (const f of frames) {
      expect(f).toMatchObject({ type: 'MSG_PUBLIC_CHANNEL', from: A, to: 'public', ts: 5 })
      expect(MsgPublicChannelPayloadSchema.safeParse(f.payload).success).toBe(true)
      expect(verifyPayload(alice.publicKey, f.payload, f.sig!)).toBe(true)
    }
    const { items } = MsgPublicChannelPayloadSchema.parse(frames[1]!.payload)
    const me = items[3]!.member_id
    expect(await openPublic(bob.privateKey, alice.publicKey, me, { items, from: A, ts: 5 })).toBe('hello all')
    expect(await openPublic(bob.privateKey, alice.publicKey, B, { items, from: A, ts: 5 })).toBeNull()
    await expect(
      openPublic(bob.privateKey, alice.publicKey, me, { items, from: A, ts: 6 }),
    ).rejects.toBeInstanceOf(Rejected)
  })
})
