/**
 * @module Mesh handlers driven over in-memory links (test/helpers/memory.ts): the rules that need
 * no socket — hello and link establishment, relayed presence, takeover after the race window.
 */

import { afterEach, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import type { KeyPair } from '../../src/crypto/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { RACE_WINDOW_MS } from '../../src/server/mesh/establish.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH, prove } from '../helpers/linkauth.ts'
import { type MemoryPeer, memoryPeer } from '../helpers/memory.ts'
import { server, until } from '../helpers/servers.ts'
import { ATTACKER_KEY, dm, type Frame, rawUser, signed } from '../security/_attack.ts'

type Fake = {
  id: string
  key: KeyPair
  peer: MemoryPeer
  frame(type: string, payload: object, ts?: number): Promise<Frame>
  /** Stops the fake's heartbeats: its link goes quiet. */
  quiet(): void
}

const beats = new Set<ReturnType<typeof setInterval>>()
afterEach(() => {
  for (const t of beats) clearInterval(t)
  beats.clear()
})

/** A server of our own making, linked to `s` over an in-memory pair with SERVER_HELLO_LINK. */
async function fakeServer(s: Awaited<ReturnType<typeof server>>, keyIndex: number): Promise<Fake> {
  const key = await testKey(keyIndex)
  const id = serverIdFor(key.publicKey.spki)
  const peer = memoryPeer(s)
  const frame = (type: string, payload: object, ts?: number) =>
    signed(key, {
      type,
      from: id,
      to: '*',
      payload: payload as Record<string, unknown>,
      ...(ts !== undefined && { ts }),
    })
  peer.send(
    await frame('SERVER_HELLO_LINK', { host: '127.0.0.1', port: 9, pubkey: key.publicKey.spki, ...AUTH }),
  )
  await prove(peer, key, id)
  await peer.next('SERVER_HELLO_LINK')
  await until(() => s.ctx.peers.get(id) === peer.link, 2_000, 'the fake server linked')
  const beat = await frame('HEARTBEAT', {})
  const timer = setInterval(() => peer.send({ ...beat, ts: Date.now() }), 50)
  beats.add(timer)
  return { id, key, peer, frame, quiet: () => clearInterval(timer) }
}

test('an in-memory hello establishes a server link, answered with our own hello and resync', async () => {
  const s = await server()
  const f = await fakeServer(s, ATTACKER_KEY)
  expect(s.ctx.peers.get(f.id)?.peerId).toBe(f.id)
  expect((await f.peer.next('PUBLIC_CHANNEL_UPDATED')).from).toBe(s.serverId())
  // Liveness frames are never answered (PROTOCOL.md §4).
  f.peer.send(await f.frame('HEARTBEAT', {}))
  f.peer.send(await f.frame('ERROR', { code: 'UNKNOWN_TYPE', detail: 'x' }))
  await Bun.sleep(100)
  expect(f.peer.frames.filter((x) => x.type === 'ERROR')).toEqual([])
})

test('a relayed USER_ADVERTISE (from another server than the link’s) is dropped before the seen cache, so the origin’s own copy still counts', async () => {
  const s = await server()
  const relayer = await fakeServer(s, ATTACKER_KEY)
  const origin = await fakeServer(s, ATTACKER_KEY + 1)
  const userKey = await testKey(ATTACKER_KEY + 2)
  const userId = randomUUID()
  const pubkey = userKey.publicKey.spki
  const advert = await origin.frame('USER_ADVERTISE', {
    user_id: userId,
    server_id: origin.id,
    pubkey,
    meta: { display_name: 'zed', pubkey },
  })
  // The same signed frame, first relayed by another server, then from its origin.
  relayer.peer.send(advert)
  await Bun.sleep(150)
  expect(s.ctx.presence.locations.has(userId)).toBe(false)
  origin.peer.send(advert)
  await until(() => s.ctx.presence.locations.get(userId) === origin.id, 2_000, 'zed located at the origin')
})

test('after the race window, a second hello does not take over a live link', async () => {
  const s = await server({ linkTimeoutMs: 10_000, heartbeatMs: 100 })
  const f = await fakeServer(s, ATTACKER_KEY)
  const live = f.peer.link
  // Beyond the simultaneous-dial window, and the live link is not silent (it just spoke).
  await Bun.sleep(RACE_WINDOW_MS + 200)
  const again = memoryPeer(s)
  again.send(
    await f.frame('SERVER_HELLO_LINK', { host: '127.0.0.1', port: 9, pubkey: f.key.publicKey.spki, ...AUTH }),
  )
  await prove(again, f.key, f.id)
  await until(() => again.closed !== null, 2_000, 'the second link closed')
  expect(again.closed).toEqual({ code: 4000, reason: 'duplicate link' })
  expect(s.ctx.peers.get(f.id)).toBe(live)
  expect(live.closed).toBe(false)
}, 20_000)

test('after the race window, a hello does take over a link that went quiet', async () => {
  const s = await server({ linkTimeoutMs: 4_000, heartbeatMs: 100 })
  const f = await fakeServer(s, ATTACKER_KEY)
  const old = f.peer.link
  f.quiet()
  // Quiet for more than half the link timeout, but not yet declared dead by the sweep.
  await Bun.sleep(RACE_WINDOW_MS + 600)
  expect(old.closed).toBe(false)
  const again = memoryPeer(s)
  again.send(
    await f.frame('SERVER_HELLO_LINK', { host: '127.0.0.1', port: 9, pubkey: f.key.publicKey.spki, ...AUTH }),
  )
  await prove(again, f.key, f.id)
  await until(() => s.ctx.peers.get(f.id) === again.link, 2_000, 'the new link took over')
  expect(old.closed).toBe(true)
}, 20_000)

test('deliveries of one conversation from a server link reach the user in order, all sent at once', async () => {
  const s = await server({ linkTimeoutMs: 10_000 })
  const f = await fakeServer(s, ATTACKER_KEY)
  const bob = await rawUser(s, 'bob', 1)
  const xKey = await testKey(ATTACKER_KEY + 1)
  const x = { id: randomUUID(), key: xKey }
  const pubkey = xKey.publicKey.spki
  f.peer.send(
    await f.frame('USER_ADVERTISE', {
      user_id: x.id,
      server_id: f.id,
      pubkey,
      meta: { display_name: 'xavier', pubkey },
    }),
  )
  await until(() => s.ctx.presence.locations.get(x.id) === f.id, 2_000, 'xavier located')
  const N = 40
  const t0 = Date.now()
  const frames = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const d = await dm(x, { id: bob.id, key: bob.key }, `m${i}`, { ts: t0 + i })
      const payload = { user_id: bob.id, sender: x.id, ...d.payload, inner_type: 'MSG_DIRECT' }
      return f.frame('SERVER_DELIVER', payload, t0 + i)
    }),
  )
  // Back to back on one link: without per-conversation lanes they would be handled concurrently.
  for (const fr of frames) f.peer.send(fr)
  const got: number[] = []
  for (let i = 0; i < N; i++) got.push((await bob.peer.next('USER_DELIVER', 10_000)).ts - t0)
  expect(got).toEqual(Array.from({ length: N }, (_, i) => i))
}, 30_000)
