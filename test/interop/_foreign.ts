/**
 * @module A simulated "other implementation" for interop tests, built from raw WebSockets and our
 * crypto, behaving the way PROTOCOL.md §3–§4 says cohort implementations do: keys on the wire as
 * base64url(PEM text), transport signatures over sorted keys with `", "`/`": "` separators and a
 * 32-byte PSS salt, and DM content signatures over SHA-256 of the preimage.
 */

import { afterEach } from 'bun:test'
import { constants, createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto'
import {
  b64uEncode,
  canonicalJson,
  dmPreimage,
  encrypt,
  importPublicKey,
  type KeyPair,
  utf8,
} from '../../src/crypto/index.ts'
import { testKey } from '../helpers/keys.ts'
import type { Frame } from '../helpers/ws.ts'

export type { Frame } from '../helpers/ws.ts'

/** One foreign server or user: an id, a shared test key, and that key as other teams encode it. */
export type Foreign = {
  id: string
  key: KeyPair
  priv: KeyObject
  /** PEM text of the public key. */
  pem: string
  /** base64url(PEM text), as Group 56 puts keys on the wire. */
  pemB64u: string
}

/** Identity `i` of the shared test-key pool (this folder uses indices 30–39). */
export async function foreign(i: number, id: string = crypto.randomUUID()): Promise<Foreign> {
  const key = await testKey(i)
  const priv = createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' })
  const pem = createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString()
  return { id, key, priv, pem, pemB64u: b64uEncode(utf8(pem)) }
}

/** RSASSA-PSS-SHA-256 with a 32-byte salt (Group 29), never the maximum salt we use. */
export function pss32(who: Foreign, data: Uint8Array): string {
  return b64uEncode(
    sign('sha256', data, { key: who.priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  )
}

/** A transport `sig` as Group 12 makes it: sorted keys, spaced separators; here with a 32-byte salt. */
export function spacedSig(who: Foreign, payload: unknown): string {
  return pss32(who, utf8(canonicalJson(payload, 'spaced')))
}

/** A signed frame from `who`. */
export function frame(
  who: Foreign,
  type: string,
  to: string,
  payload: Record<string, unknown>,
  ts = Date.now(),
): Frame {
  return { type, from: who.id, to, ts, payload, sig: spacedSig(who, payload) }
}

/**
 * A DM from foreign user `sender` to `to` (whose base64url SPKI is `toPub`), encrypted with
 * RSA-OAEP-SHA-256. `variant` picks the content_sig: the spec's preimage, or SHA-256 of it signed
 * as the message (Groups 43 and CodingGeeks).
 */
export function foreignDm(
  sender: Foreign,
  to: { id: string; pub: string },
  text: string,
  ts: number,
  variant: 'raw' | 'sha256-prehash',
) {
  const ct = encrypt(importPublicKey(to.pub), utf8(text))
  const pre = dmPreimage(ct, sender.id, to.id, ts)
  const signed = variant === 'raw' ? pre : new Uint8Array(createHash('sha256').update(pre).digest())
  return {
    ciphertext: b64uEncode(ct),
    sender_pub: sender.key.publicKey.spki,
    content_sig: pss32(sender, signed),
  }
}

// --- a listening foreign server ---

export type Listener = {
  port: number
  frames: Frame[]
  /** The next frame of `type` not yet taken; rejects after `ms`. */
  next(type: string, ms?: number): Promise<Frame>
  /** Sends to every connection this listener accepted. */
  send(f: Frame): void
  /** A WebSocket-level ping on every connection this listener accepted. */
  ping(): void
  stop(): void
}

const listeners = new Set<Listener>()
afterEach(() => {
  for (const l of listeners) l.stop()
  listeners.clear()
})

/**
 * A foreign server listening on a free loopback port. `answer` sees each parsed frame and returns
 * the frames to send back on that connection.
 */
export function listen(answer: (f: Frame) => Frame[] | Promise<Frame[]>): Listener {
  const frames: Frame[] = []
  const taken = new Set<number>()
  const wake = new Set<() => void>()
  const sockets = new Set<{ send(t: string): unknown; ping(): unknown }>()
  const bun = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req, s) => (s.upgrade(req) ? undefined : new Response('ws only', { status: 400 })),
    websocket: {
      open: (ws) => void sockets.add(ws),
      close: (ws) => void sockets.delete(ws),
      async message(ws, msg) {
        const f = JSON.parse(String(msg)) as Frame
        frames.push(f)
        for (const w of wake) w()
        for (const out of await answer(f)) ws.send(JSON.stringify(out))
      },
    },
  })
  const l: Listener = {
    port: bun.port ?? 0,
    frames,
    async next(type, ms = 5_000) {
      const end = Date.now() + ms
      for (;;) {
        const i = frames.findIndex((f, j) => f.type === type && !taken.has(j))
        if (i >= 0) {
          taken.add(i)
          return frames[i]!
        }
        if (Date.now() > end) throw new Error(`no ${type} within ${ms} ms`)
        await new Promise<void>((r) => {
          const done = () => {
            wake.delete(done)
            r()
          }
          wake.add(done)
          setTimeout(done, 50)
        })
      }
    },
    send: (f) => {
      for (const s of sockets) s.send(JSON.stringify(f))
    },
    ping: () => {
      for (const s of sockets) s.ping()
    },
    stop: () => void bun.stop(true),
  }
  listeners.add(l)
  return l
}
