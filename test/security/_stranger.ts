/**
 * @module A stranger's servers for the admission tests (issue 10): raw sockets that complete the
 * link challenge with keys of their own, and the addresses they claim to listen at.
 */

import { afterEach } from 'bun:test'
import { createHmac, randomBytes } from 'node:crypto'
import { type KeyPair, signPayload } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { AUTH } from '../helpers/linkauth.ts'
import { connect, type RawPeer } from '../helpers/ws.ts'
import { signed } from './_attack.ts'

/** Where strangers claim to listen: counts every connection attempt, answers none of them. */
export function claimedAddress() {
  let hits = 0
  const s = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () => {
      hits++
      return new Response('not a socp server', { status: 404 })
    },
  })
  listeners.push(s)
  return { port: s.port as number, hits: () => hits }
}
const listeners: ReturnType<typeof Bun.serve>[] = []
afterEach(() => {
  for (const l of listeners.splice(0)) l.stop(true)
})

export type Stranger = { id: string; peer: RawPeer; outcome: 'linked' | 'refused' }

/**
 * A stranger's server: a raw socket that links to `target` under `id` with `key`, proving the key
 * (and the join secret, when given) as our servers do. `linked` when the target answered with its
 * own hello; `refused` when it hung up first.
 */
export async function stranger(
  target: ServerHandle,
  key: KeyPair,
  o: {
    id?: string
    host?: string
    port?: number
    secret?: string
    join?: boolean
    hangUpAfterProof?: boolean
  } = {},
): Promise<Stranger> {
  const id = o.id ?? serverIdFor(key.publicKey.spki)
  const peer = await connect(target.url)
  const hello = { host: o.host ?? '127.0.0.1', port: o.port ?? 9, pubkey: key.publicKey.spki, ...AUTH }
  const type = o.join ? 'SERVER_HELLO_JOIN' : 'SERVER_HELLO_LINK'
  peer.send(await signed(key, { type, from: id, to: target.serverId(), payload: hello }))
  const refused = peer.closed.then(() => 'refused' as const)
  const challenge = await Promise.race([peer.next('SERVER_CHALLENGE', 5_000), refused])
  if (challenge === 'refused') return { id, peer, outcome: 'refused' }
  const nonce = challenge.payload.nonce as string
  const admit = o.secret
    ? createHmac('sha256', o.secret)
        .update(`socp-join-v1\n${nonce}\n${id}\n${challenge.from}`)
        .digest('base64url')
    : undefined
  const payload = {
    nonce,
    server_id: id,
    peer_id: challenge.from,
    challenge: randomBytes(32).toString('base64url'),
    ...(admit && { admit }),
  }
  const sig = await signPayload(key.privateKey, payload)
  peer.send({ type: 'SERVER_PROOF', from: id, to: challenge.from, ts: Date.now(), payload, sig })
  if (o.hangUpAfterProof) {
    peer.close()
    return { id, peer, outcome: 'refused' }
  }
  const answer = await Promise.race([
    peer.next(o.join ? 'SERVER_WELCOME' : 'SERVER_HELLO_LINK', 5_000).then(() => 'linked' as const),
    refused,
  ])
  // Alive as long as the test keeps the socket open (links fall silent after 500 ms here).
  const beat = await signed(key, { type: 'HEARTBEAT', from: id, to: challenge.from, payload: {} })
  const timer = setInterval(() => {
    if (peer.ws.readyState === WebSocket.OPEN) peer.send({ ...beat, ts: Date.now() })
    else clearInterval(timer)
  }, 50)
  timers.push(timer)
  return { id, peer, outcome: answer }
}
const timers: ReturnType<typeof setInterval>[] = []
afterEach(() => {
  for (const t of timers.splice(0)) clearInterval(t)
})

/** Every address `server` dials from now on (`host:port`), as it opens each connection. */
export function recordDials(server: ServerHandle): string[] {
  const dialed: string[] = []
  const peers = server.ctx.peers
  const open = peers.open.bind(peers)
  peers.open = (direction, remote, transport, rate) => {
    if (direction === 'out') dialed.push(remote)
    return open(direction, remote, transport, rate)
  }
  return dialed
}
