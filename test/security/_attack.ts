/**
 * @module Folder-private attack tooling: users and servers that speak the wire by hand, so a test
 * can send exactly the frame a hostile peer would — signed, forged, replayed or malformed.
 */

import { afterEach, expect } from 'bun:test'
import { constants, createPrivateKey, sign as nodeSign, randomUUID } from 'node:crypto'
import {
  b64uEncode,
  chunkDigest,
  deriveKeys,
  dmPreimage,
  encrypt,
  fileEndPreimage,
  fileStartPreimage,
  type KdfParams,
  type KeyPair,
  publicPreimage,
  signContent,
  signPayload,
  utf8,
} from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH, prove } from '../helpers/linkauth.ts'
import { cheapRegistration } from '../helpers/registration.ts'
import { connect, type Frame, type RawPeer } from '../helpers/ws.ts'

/** Attacker keys live at 20–29 of the shared pool (users 0–19, servers 50+). */
export const ATTACKER_KEY = 20

export type { Frame } from '../helpers/ws.ts'

type Unsigned = Omit<Frame, 'ts' | 'sig'> & { ts?: number }

/** A frame whose `sig` is PSS(key, canonical(payload)) (PROTOCOL.md §3.1). */
export async function signed(key: KeyPair, f: Unsigned): Promise<Frame> {
  return { ...f, ts: f.ts ?? Date.now(), sig: await signPayload(key.privateKey, f.payload) }
}

/** PKCS#1 v1.5 over exactly the bytes PSS would sign: the downgrade every verifier must refuse. */
export function pkcs1v15(key: KeyPair, data: Uint8Array): string {
  const priv = createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' })
  return b64uEncode(nodeSign('sha256', data, { key: priv, padding: constants.RSA_PKCS1_PADDING }))
}

/** Resolves true when no frame of `type` matching `match` arrives within `ms`. */
export async function nothing(
  peer: RawPeer,
  type: string,
  ms = 400,
  match: (f: Frame) => boolean = () => true,
): Promise<void> {
  const before = peer.frames.length
  await Bun.sleep(ms)
  const late = peer.frames.slice(before).filter((f) => f.type === type && match(f as Frame))
  expect(late.map((f) => f.type)).toEqual([])
}

/** How many frames of `type` the peer has received in total. */
export const count = (peer: RawPeer, type: string, match: (f: Frame) => boolean = () => true): number =>
  peer.frames.filter((f) => f.type === type && match(f as Frame)).length

// --- users ---

export type RawUser = {
  peer: RawPeer
  id: string
  username: string
  key: KeyPair
  serverId: string
  /** The frame that logged this link in, kept for replay attacks. */
  hello: Frame
}

/** Registers `username` with the `keyIndex`-th test key over a raw socket and binds the link. */
export async function rawUser(
  server: ServerHandle,
  username: string,
  keyIndex: number,
  presence?: 'all' | 'contacts',
): Promise<RawUser> {
  const key = await testKey(keyIndex)
  const peer = await connect(server.url)
  const id = randomUUID()
  const payload = cheapRegistration(username, key)
  peer.send(await signed(key, { type: 'USER_REGISTER', from: id, to: '', payload }))
  const ok = await peer.next('AUTH_OK')
  const hello = await signed(key, {
    type: 'USER_HELLO',
    from: id,
    to: ok.from,
    payload: {
      client: 'attack',
      pubkey: key.publicKey.spki,
      enc_pubkey: key.publicKey.spki,
      nonce: ok.payload.nonce,
      ...(presence && { presence }),
    },
  })
  peer.send(hello)
  await peer.next('ACK')
  return { peer, id, username, key, serverId: ok.from, hello }
}

/**
 * AUTH_HELLO → AUTH_CHALLENGE → AUTH_RESPONSE over a raw socket, as someone who knows the password
 * would (docs/wire.md §3). Resolves with the peer and the server's final answer (AUTH_OK or ERROR).
 */
export async function rawLogin(
  server: ServerHandle,
  login: string,
  password: string,
): Promise<{ peer: RawPeer; answer: Frame; elapsedMs: number }> {
  const peer = await connect(server.url)
  peer.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login } })
  const challenge = (await peer.next()) as Frame
  if (challenge.type === 'ERROR') return { peer, answer: challenge, elapsedMs: 0 }
  const { authKey } = await deriveKeys(password, challenge.payload.kdf as KdfParams)
  const t0 = performance.now()
  peer.send({ type: 'AUTH_RESPONSE', from: '', to: '', ts: Date.now(), payload: { auth_key: authKey } })
  // Nothing else is sent before login, so the next frame is the answer.
  const answer = (await peer.next(undefined, 15_000)) as Frame
  return { peer, answer, elapsedMs: performance.now() - t0 }
}

export type Party = { id: string; key: KeyPair }

/** A well-formed MSG_DIRECT `from` → `to`, content-signed by `signer` (default: the sender's key). */
export async function dm(
  from: Party,
  to: Party,
  text: string,
  o: { ts?: number; signer?: KeyPair; senderPub?: string } = {},
): Promise<Frame> {
  const ts = o.ts ?? Date.now()
  const ct = encrypt(to.key.publicKey, utf8(text))
  const payload = {
    ciphertext: b64uEncode(ct),
    sender_pub: o.senderPub ?? from.key.publicKey.spki,
    content_sig: await signContent((o.signer ?? from.key).privateKey, dmPreimage(ct, from.id, to.id, ts)),
  }
  return signed(from.key, { type: 'MSG_DIRECT', from: from.id, to: to.id, ts, payload })
}

/** A well-formed `/all` batch (docs/wire.md §6) from `from` to `members`. */
export async function publicFrame(
  from: Party,
  members: Party[],
  text: string,
  o: { ts?: number; senderPub?: string } = {},
): Promise<Frame> {
  const ts = o.ts ?? Date.now()
  const items = await Promise.all(
    members.map(async (m) => {
      const ct = encrypt(m.key.publicKey, utf8(text))
      const content_sig = await signContent(from.key.privateKey, publicPreimage(ct, from.id, ts))
      return { member_id: m.id, ciphertext: b64uEncode(ct), content_sig }
    }),
  )
  const payload = { sender_pub: o.senderPub ?? from.key.publicKey.spki, items }
  return signed(from.key, { type: 'MSG_PUBLIC_CHANNEL', from: from.id, to: 'public', ts, payload })
}

/** A complete, correctly signed file transfer `from` → `to` with an attacker-chosen manifest. */
export async function fileFrames(
  from: Party,
  to: Party,
  data: Uint8Array,
  o: { name: string; fileId?: string; chunkBytes?: number },
): Promise<Frame[]> {
  const ts = Date.now()
  const fileId = o.fileId ?? randomUUID()
  const step = o.chunkBytes ?? 446
  const cts: Uint8Array[] = []
  for (let i = 0; i < data.byteLength; i += step)
    cts.push(encrypt(to.key.publicKey, data.subarray(i, i + step)))
  const sha256 = new Bun.CryptoHasher('sha256').update(data).digest('hex')
  const manifest = {
    file_id: fileId,
    name: o.name,
    size: data.byteLength,
    sha256,
    mode: 'dm',
    chunks: cts.length,
  }
  const startSig = await signContent(
    from.key.privateKey,
    fileStartPreimage({ from: from.id, to: to.id, ts }, manifest),
  )
  const endSig = await signContent(
    from.key.privateKey,
    fileEndPreimage({
      from: from.id,
      to: to.id,
      file_id: fileId,
      chunks: cts.length,
      digest: chunkDigest(cts),
    }),
  )
  const env = { from: from.id, to: to.id, ts }
  return Promise.all([
    signed(from.key, {
      ...env,
      type: 'FILE_START',
      payload: { ...manifest, sender_pub: from.key.publicKey.spki, content_sig: startSig },
    }),
    ...cts.map((ct, index) =>
      signed(from.key, {
        ...env,
        type: 'FILE_CHUNK',
        payload: { file_id: fileId, index, ciphertext: b64uEncode(ct) },
      }),
    ),
    signed(from.key, {
      ...env,
      type: 'FILE_END',
      payload: { file_id: fileId, chunks: cts.length, content_sig: endSig },
    }),
  ])
}

// --- servers ---

export type Rogue = {
  id: string
  key: KeyPair
  peer: RawPeer
  /** Signs `payload` with `signer` (default: the rogue's own key) as a frame `from` (default: the rogue). */
  frame(
    type: string,
    payload: Record<string, unknown>,
    o?: { from?: string; to?: string; ts?: number; signer?: KeyPair },
  ): Promise<Frame>
  send(
    type: string,
    payload: Record<string, unknown>,
    o?: { from?: string; to?: string; ts?: number; signer?: KeyPair },
  ): Promise<Frame>
}

const heartbeats = new Set<ReturnType<typeof setInterval>>()
afterEach(() => {
  for (const t of heartbeats) clearInterval(t)
  heartbeats.clear()
})

/**
 * A hostile server: a raw socket that links to `target` with SERVER_HELLO_LINK under a fresh id and
 * its own key (proving it, as any mesh member can), optionally announces itself, and keeps the link alive with heartbeats. Its
 * advertised address (port 9) refuses connections, so nobody can dial it back.
 */
export async function rogueServer(
  target: ServerHandle,
  keyIndex = ATTACKER_KEY,
  o: { announce?: boolean; id?: string; caps?: string[] } = {},
): Promise<Rogue> {
  const key = await testKey(keyIndex)
  const id = o.id ?? serverIdFor(key.publicKey.spki)
  const peer = await connect(target.url)
  const frame: Rogue['frame'] = (type, payload, f = {}) =>
    signed(f.signer ?? key, {
      type,
      from: f.from ?? id,
      to: f.to ?? '*',
      payload,
      ...(f.ts !== undefined && { ts: f.ts }),
    })
  const send: Rogue['send'] = async (type, payload, f) => {
    const fr = await frame(type, payload, f)
    peer.send(fr)
    return fr
  }
  // `caps` makes it look like one of our servers (docs/wire.md §14).
  const hello = {
    host: '127.0.0.1',
    port: 9,
    pubkey: key.publicKey.spki,
    ...AUTH,
    ...(o.caps && { caps: o.caps }),
  }
  await send('SERVER_HELLO_LINK', hello, { to: target.serverId() })
  await prove(peer, key, id)
  await peer.next('SERVER_HELLO_LINK')
  const beat = await frame('HEARTBEAT', {}, { to: target.serverId() })
  const timer = setInterval(() => {
    if (peer.ws.readyState === WebSocket.OPEN) peer.send({ ...beat, ts: Date.now() })
    else clearInterval(timer)
  }, 50)
  heartbeats.add(timer)
  if (o.announce) await send('SERVER_ANNOUNCE', hello)
  return { id, key, peer, frame, send }
}
