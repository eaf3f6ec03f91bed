/**
 * @module Attackers for the under-attack scenario, speaking the wire by hand on raw sockets: a
 * stranger that floods hellos, a mesh member (it proves its own key, as anyone can) that replays
 * its gossip, and a logged-in user that floods unsigned FILE_CHUNKs.
 */

import { randomBytes, randomUUID } from 'node:crypto'
import { b64uEncode, type KeyPair, signPayload } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { cheapRegistration } from '../../test/helpers/registration.ts'

type Frame = {
  type: string
  from: string
  to: string
  ts: number
  payload: Record<string, unknown>
  sig?: string
}

export async function signed(key: KeyPair, f: Omit<Frame, 'ts' | 'sig'> & { ts?: number }): Promise<Frame> {
  return { ...f, ts: f.ts ?? Date.now(), sig: await signPayload(key.privateKey, f.payload) }
}

/** A raw socket: send frames, await the next frame of a type. */
export class Raw {
  readonly ws: WebSocket
  readonly #frames: Frame[] = []
  #wake: (() => void) | null = null
  readonly opened: Promise<void>

  constructor(url: string) {
    this.ws = new WebSocket(url)
    this.opened = new Promise((r) => this.ws.addEventListener('open', () => r()))
    this.ws.addEventListener('message', (ev) => {
      this.#frames.push(JSON.parse(String(ev.data)) as Frame)
      this.#wake?.()
    })
    this.ws.addEventListener('error', () => {})
  }

  send(f: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(typeof f === 'string' ? f : JSON.stringify(f))
  }

  next(type: string, ms = 10_000): Promise<Frame> {
    return this.nextOf([type], ms)
  }

  /** The next frame of any of `types`. */
  async nextOf(types: readonly string[], ms = 10_000): Promise<Frame> {
    const end = Date.now() + ms
    for (;;) {
      const i = this.#frames.findIndex((f) => types.includes(f.type))
      if (i >= 0) return this.#frames.splice(i, 1)[0]!
      if (Date.now() > end) throw new Error(`no ${types.join('/')} within ${ms} ms`)
      await new Promise<void>((r) => {
        this.#wake = r
        setTimeout(r, 50)
      })
    }
  }

  close(): void {
    this.ws.close()
  }
}

/** (a) Strangers: `sockets` connections that send a signed hello and never prove, reopened as closed. */
export async function helloFlood(target: ServerHandle, key: KeyPair, sockets: number): Promise<() => void> {
  const hello = await signed(key, {
    type: 'SERVER_HELLO_LINK',
    // The id its key makes: a hello under any other id is refused before its signature is checked.
    from: serverIdFor(key.publicKey.spki),
    to: target.serverId(),
    payload: { host: '127.0.0.1', port: 9, pubkey: key.publicKey.spki, auth: 'v1' },
  })
  const text = JSON.stringify(hello)
  let stopped = false
  const open = (): void => {
    if (stopped) return
    const ws = new WebSocket(target.url)
    ws.addEventListener('open', () => ws.send(text))
    ws.addEventListener('close', () => setTimeout(open, 5))
    ws.addEventListener('error', () => {})
  }
  for (let i = 0; i < sockets; i++) open()
  return () => {
    stopped = true
  }
}

/** (b) A mesh member that proves its key, then replays one signed advert as fast as it may. */
export async function gossipFlood(target: ServerHandle, key: KeyPair, userKey: KeyPair): Promise<() => void> {
  // A new server must link under the id its key makes (docs/wire.md §10a).
  const id = serverIdFor(key.publicKey.spki)
  const r = new Raw(target.url)
  await r.opened
  const hello = { host: '127.0.0.1', port: 9, pubkey: key.publicKey.spki, auth: 'v1' }
  r.send(await signed(key, { type: 'SERVER_HELLO_LINK', from: id, to: target.serverId(), payload: hello }))
  // A server without link authentication (the "before" build) answers the hello at once.
  const ch = await r.nextOf(['SERVER_CHALLENGE', 'SERVER_HELLO_LINK'])
  if (ch.type === 'SERVER_CHALLENGE') {
    const proof = {
      nonce: ch.payload.nonce,
      server_id: id,
      peer_id: ch.from,
      challenge: b64uEncode(randomBytes(32)),
    }
    r.send(await signed(key, { type: 'SERVER_PROOF', from: id, to: ch.from, payload: proof }))
    await r.next('SERVER_HELLO_LINK')
  }
  const u = randomUUID()
  const pub = userKey.publicKey.spki
  r.send(
    await signed(key, {
      type: 'DIRECTORY_ENTRY',
      from: id,
      to: '*',
      payload: { user_id: u, username: 'rogue_user', pubkey: pub, server_id: id, created: Date.now() },
    }),
  )
  const advert = await signed(key, {
    type: 'USER_ADVERTISE',
    from: id,
    to: '*',
    payload: { user_id: u, server_id: id, pubkey: pub, meta: { display_name: 'rogue_user', pubkey: pub } },
  })
  const beat = await signed(key, { type: 'HEARTBEAT', from: id, to: target.serverId(), payload: {} })
  let stopped = false
  let n = 0
  const loop = async () => {
    while (!stopped && r.ws.readyState === WebSocket.OPEN) {
      // Exact replays and replays under a fresh `ts` (the same signature), 200 per tick.
      for (let i = 0; i < 200; i++) r.send(i % 2 ? advert : { ...advert, ts: advert.ts + ++n })
      r.send({ ...beat, ts: Date.now() })
      await Bun.sleep(20)
    }
  }
  void loop()
  return () => {
    stopped = true
    r.close()
  }
}

/** A user registered and logged in over a raw socket (a random blob key: no scrypt). */
export async function rawUser(server: ServerHandle, username: string, key: KeyPair) {
  const r = new Raw(server.url)
  await r.opened
  const id = randomUUID()
  const payload = cheapRegistration(username, key)
  r.send(await signed(key, { type: 'USER_REGISTER', from: id, to: '', payload }))
  const ok = await r.next('AUTH_OK')
  const helloPayload = {
    client: 'bench',
    pubkey: key.publicKey.spki,
    enc_pubkey: key.publicKey.spki,
    nonce: ok.payload.nonce,
  }
  r.send(await signed(key, { type: 'USER_HELLO', from: id, to: ok.from, payload: helloPayload }))
  await r.next('ACK')
  return { raw: r, id }
}

/** (c) One user sends unsigned FILE_CHUNKs to `to` as fast as its socket takes them. */
export function chunkFlood(from: { raw: Raw; id: string }, to: string, ciphertext: string): () => void {
  let stopped = false
  const fileId = randomUUID()
  let index = 0
  const loop = async () => {
    while (!stopped && from.raw.ws.readyState === WebSocket.OPEN) {
      for (let i = 0; i < 100; i++)
        from.raw.send({
          type: 'FILE_CHUNK',
          from: from.id,
          to,
          ts: Date.now(),
          payload: { file_id: fileId, index: index++, ciphertext },
        })
      await Bun.sleep(25)
    }
  }
  void loop()
  return () => {
    stopped = true
  }
}
