/**
 * @module Sealing and opening user content: DMs (PROTOCOL.md §3.2, §5) and the batched public
 * channel (docs/wire.md §6). Every function is pure apart from the crypto it calls.
 */

import {
  b64uDecodeCanonical,
  b64uEncode,
  decrypt,
  dmPreimage,
  encrypt,
  fromUtf8,
  OAEP_MAX_PLAINTEXT,
  type PrivateKey,
  type PublicKey,
  publicPreimage,
  signContent,
  signPayload,
  utf8,
  verifyDm,
  verifyPublic,
} from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import type { ClientFrame, MsgDirectPayload, PublicItem } from '../protocol/index.ts'

/** "the client sends at most 32 items per frame" (docs/wire.md §6). */
export const PUBLIC_BATCH = 32

/**
 * The UTF-8 bytes of a message that fits one RSA-4096 OAEP block.
 * @throws ChatError('BAD_REQUEST') above 446 bytes: we refuse rather than split.
 */
export function messageBytes(text: string): Uint8Array {
  const bytes = utf8(text)
  if (bytes.byteLength > OAEP_MAX_PLAINTEXT) {
    throw new ChatError(
      'BAD_REQUEST',
      `message too long: ${bytes.byteLength} bytes, at most ${OAEP_MAX_PLAINTEXT} fit in one RSA-4096 block`,
    )
  }
  return bytes
}

/** A MSG_DIRECT payload: OAEP to the recipient, `content_sig` over ciphertext ‖ from ‖ to ‖ ts. */
export async function sealDirect(
  key: PrivateKey,
  to: PublicKey,
  bytes: Uint8Array,
  ids: { from: string; to: string; ts: number },
): Promise<MsgDirectPayload> {
  const ct = encrypt(to, bytes)
  const content_sig = await signContent(key, dmPreimage(ct, ids.from, ids.to, ids.ts))
  return { ciphertext: b64uEncode(ct), sender_pub: key.publicKey.spki, content_sig }
}

/**
 * The public-channel items for every member, signed concurrently (WebCrypto signs off the JS
 * thread), cut into batches of at most 32.
 */
export async function sealPublic(
  key: PrivateKey,
  members: readonly { userId: string; pubkey: PublicKey }[],
  bytes: Uint8Array,
  ids: { from: string; ts: number },
): Promise<PublicItem[][]> {
  const items = await Promise.all(
    members.map(async (m): Promise<PublicItem> => {
      const ct = encrypt(m.pubkey, bytes)
      const content_sig = await signContent(key, publicPreimage(ct, ids.from, ids.ts))
      return { member_id: m.userId, ciphertext: b64uEncode(ct), content_sig }
    }),
  )
  const batches: PublicItem[][] = []
  for (let i = 0; i < items.length; i += PUBLIC_BATCH) batches.push(items.slice(i, i + PUBLIC_BATCH))
  return batches
}

/** The signed MSG_PUBLIC_CHANNEL frames for one `/all`: one per batch of ≤ 32 members. */
export async function publicFrames(
  key: PrivateKey,
  members: readonly { userId: string; pubkey: PublicKey }[],
  bytes: Uint8Array,
  ids: { from: string; ts: number },
): Promise<ClientFrame<'MSG_PUBLIC_CHANNEL'>[]> {
  const batches = await sealPublic(key, members, bytes, ids)
  return Promise.all(
    batches.map(async (items) => {
      const payload = { sender_pub: key.publicKey.spki, items }
      const sig = await signPayload(key, payload)
      return { type: 'MSG_PUBLIC_CHANNEL', from: ids.from, to: 'public', ts: ids.ts, payload, sig }
    }),
  )
}

/** Why an incoming message was dropped; the text is safe to show. */
export class Rejected extends Error {
  override name = 'Rejected'
}

async function openText(key: PrivateKey, ciphertext: string): Promise<string> {
  try {
    return fromUtf8(await decrypt(key, b64uDecodeCanonical(ciphertext)))
  } catch {
    throw new Rejected('could not decrypt it')
  }
}

/**
 * Verifies a delivered DM against the sender's directory key, then decrypts it.
 * @throws Rejected when the signature does not verify or the ciphertext does not open.
 */
export async function openDirect(
  key: PrivateKey,
  senderKey: PublicKey,
  m: { ciphertext: string; content_sig: string; from: string; to: string; ts: number },
): Promise<string> {
  // Lenient: a sender on another implementation may sign one of the variants PROTOCOL.md §3.2
  // lists; every variant still binds the same key, ciphertext, from, to and ts.
  if (!verifyDm(senderKey, m, true)) throw new Rejected('its signature does not verify')
  return openText(key, m.ciphertext)
}

/**
 * Verifies and decrypts this member's item of a public-channel batch.
 * @throws Rejected when there is no item for us, the signature fails or decryption fails.
 */
export async function openPublic(
  key: PrivateKey,
  senderKey: PublicKey,
  me: string,
  m: { items: readonly PublicItem[]; from: string; ts: number },
): Promise<string | null> {
  const item = m.items.find((i) => i.member_id === me)
  if (!item) return null
  if (!verifyPublic(senderKey, item.ciphertext, m.from, m.ts, item.content_sig)) {
    throw new Rejected('its signature does not verify')
  }
  return openText(key, item.ciphertext)
}
