/**
 * @module Issue 10, breaks 1–3 (and issue 16 B, C), performed on real servers: strangers' sockets
 * and replayed hellos. A link counts only once both ends proved their keys over fresh nonces
 * (PROTOCOL.md §4); until then nothing it says is pinned, relayed or dialed.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { decode } from '../../src/protocol/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { linkTo } from '../../src/server/mesh/dialer.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH, prove } from '../helpers/linkauth.ts'
import { mesh, server, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, nothing, rawUser, signed } from './_attack.ts'

/** A three-server mesh with alice on the last and bob on the first; `works` sends a DM across. */
async function scene() {
  const servers = await mesh(2)
  const [intro, , c] = servers as [(typeof servers)[0], (typeof servers)[0], (typeof servers)[0]]
  const alice = await user(c, 'alice', 0)
  const bob = await user(intro, 'bob', 1)
  await until(() => intro.ctx.presence.locations.has(alice.userId!), 3_000, 'alice seen')
  const works = async (what: string) => {
    const got = bob.next('dm', (m) => m.text === what)
    await alice.tell('bob', what)
    expect((await got).text).toBe(what)
  }
  const pinned = () => servers.map((s) => s.ctx.store.servers.all().length)
  return { servers, intro, works, pinned }
}

describe('hostile links', () => {
  test('break 1: an announce with an address that is no URL is refused at decode, pinned nowhere, and the mesh lives', async () => {
    const { servers, intro, works, pinned } = await scene()
    const before = pinned()
    const k = await testKey(ATTACKER_KEY)
    for (const host of ['x:y', 'a b', '[::1]', 'exa mple.com', '-bad-.com', 'http://x', '1.2.3.4.5']) {
      const f = await signed(k, {
        type: 'SERVER_ANNOUNCE',
        from: randomUUID(),
        to: '*',
        payload: { host, port: 9, pubkey: k.publicKey.spki, ...AUTH },
      })
      expect(decode(JSON.stringify(f), 'serverToServer').ok).toBe(false)
      const c = await connect(intro.url)
      c.send(f)
    }
    // A dial of a bad address (from an old database, say) fails without throwing out of a timer.
    expect(() => linkTo(intro.ctx, randomUUID(), { host: 'x:y', port: 1 })).not.toThrow()
    await Bun.sleep(1_500)
    expect(pinned()).toEqual(before)
    for (const s of servers) expect((await fetch(`http://127.0.0.1:${s.port}/health`)).status).toBe(200)
    await works('after bad addresses')
  })

  test('break 1/3: a valid self-signed announce from a stranger is challenged, never pinned, relayed or dialed', async () => {
    const { servers, intro, works, pinned } = await scene()
    const before = pinned()
    const k = await testKey(ATTACKER_KEY)
    const c = await connect(intro.url)
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH }
    c.send(
      await signed(k, {
        type: 'SERVER_ANNOUNCE',
        from: serverIdFor(k.publicKey.spki),
        to: '*',
        payload: hello,
      }),
    )
    await c.next('SERVER_CHALLENGE')
    await Bun.sleep(1_200)
    expect(pinned()).toEqual(before)
    for (const s of servers) expect(s.ctx.peers.links.size).toBeLessThan(20)
    await works('after a stranger announced')
  })

  test('break 2: sockets that say a server hello and never prove are closed by the hello timeout; users get in', async () => {
    const s = await server({ helloTimeoutMs: 1_000, maxConnections: 30 })
    const k = await testKey(ATTACKER_KEY)
    const hello = await signed(k, {
      type: 'SERVER_HELLO_LINK',
      from: serverIdFor(k.publicKey.spki),
      to: s.serverId(),
      payload: { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH },
    })
    const squatters = await Promise.all(Array.from({ length: 25 }, () => connect(s.url)))
    for (const q of squatters) q.send(hello)
    const closed = await Promise.all(squatters.map((q) => q.closed))
    expect(closed.every((c) => c.code === 1008)).toBe(true)
    expect(s.ctx.peers.size).toBe(0)
    // Before proving, a server link has user budgets: a frame over 64 KiB closes it.
    const big = await connect(s.url)
    big.send(hello)
    big.sendText(JSON.stringify({ type: 'HEARTBEAT', pad: 'x'.repeat(100_000) }))
    expect((await big.closed).code).toBe(1009)
    // A user who registers at once (no client-side scrypt, so the short hello timeout holds) gets in.
    const bob = await rawUser(s, 'bob', 1)
    expect(s.ctx.presence.local.has(bob.id)).toBe(true)
  })

  test('break 3: one signed hello replayed under 200 ids pins nothing and dials nothing', async () => {
    const { intro, works, pinned } = await scene()
    const before = pinned()
    const k = await testKey(ATTACKER_KEY)
    const payload = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH }
    const one = await signed(k, { type: 'SERVER_HELLO_LINK', from: randomUUID(), to: '*', payload })
    const socks = await Promise.all(Array.from({ length: 20 }, () => connect(intro.url)))
    for (let i = 0; i < 200; i++) {
      const c = socks[i % socks.length]!
      // Each socket gets one hello; the others are replays on links that are already pending.
      c.send({ ...one, from: randomUUID(), ts: Date.now() })
    }
    // Under ids its key does not make, every one is refused before we sign or challenge anything.
    await Promise.all(socks.map((c) => c.closed))
    // Under the key's own id it is challenged, and a replayer cannot sign the nonce.
    const sock = await connect(intro.url)
    const own = serverIdFor(k.publicKey.spki)
    sock.send({ ...one, from: own })
    const ch = await sock.next('SERVER_CHALLENGE')
    sock.send({
      ...one,
      from: own,
      type: 'SERVER_PROOF',
      payload: {
        nonce: ch.payload.nonce,
        server_id: own,
        peer_id: intro.serverId(),
        challenge: 'A'.repeat(43),
      },
    })
    await Bun.sleep(800)
    expect(pinned()).toEqual(before)
    expect(intro.ctx.peers.size).toBe(2)
    await works('after a replayed hello')
  })

  test('a stranger who owns a key can link, but only as itself: its frames from any other id are dropped', async () => {
    const { intro, works } = await scene()
    const k = await testKey(ATTACKER_KEY)
    const id = serverIdFor(k.publicKey.spki)
    const c = await connect(intro.url)
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH }
    c.send(await signed(k, { type: 'SERVER_HELLO_LINK', from: id, to: intro.serverId(), payload: hello }))
    const theirs = await prove(c, k, id)
    expect(theirs.from).toBe(intro.serverId())
    await c.next('SERVER_HELLO_LINK')
    await until(() => intro.ctx.peers.has(id), 2_000, 'linked')
    const other = randomUUID()
    c.send(await signed(k, { type: 'SERVER_ANNOUNCE', from: other, to: '*', payload: hello }))
    await Bun.sleep(300)
    expect(intro.ctx.store.servers.get(other)).toBeNull()
    await works('after a member spoke for another id')
  })

  test('issue 16 C: an incoming link that opens with SERVER_ANNOUNCE is bound to the announcer once proved', async () => {
    const s = await server()
    const k = await testKey(ATTACKER_KEY)
    const id = serverIdFor(k.publicKey.spki)
    const c = await connect(s.url)
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH }
    c.send(await signed(k, { type: 'SERVER_ANNOUNCE', from: id, to: '*', payload: hello }))
    await prove(c, k, id)
    await c.next('SERVER_HELLO_LINK')
    await until(() => s.ctx.peers.has(id), 2_000, 'bound to the announcer')
    // Its frames now count: a heartbeat keeps it, and nothing is dropped as "before hello".
    expect((await c.next('HEARTBEAT', 2_000)).from).toBe(s.serverId())
  })

  test('issue 16 B: on a link we dialed, a signed ERROR is no hello: the link never counts', async () => {
    const k = await testKey(ATTACKER_KEY)
    const id = randomUUID()
    const listener = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response('no')),
      websocket: {
        async message(ws) {
          ws.send(
            JSON.stringify(
              await signed(k, {
                type: 'ERROR',
                from: id,
                to: '*',
                payload: { code: 'UNKNOWN_TYPE', detail: 'x' },
              }),
            ),
          )
        },
      },
    })
    try {
      const s = await server({ helloTimeoutMs: 400, allowLegacyPeers: true })
      s.ctx.store.servers.pin({
        serverId: id,
        host: '127.0.0.1',
        port: listener.port!,
        pubkey: k.publicKey.spki,
      })
      linkTo(s.ctx, id, { host: '127.0.0.1', port: listener.port! })
      await Bun.sleep(900)
      expect(s.ctx.peers.has(id)).toBe(false)
    } finally {
      listener.stop(true)
    }
  })

  test('without --allow-legacy-peers a hello without link authentication is refused', async () => {
    const s = await server()
    const k = await testKey(ATTACKER_KEY)
    const c = await connect(s.url)
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki }
    c.send(
      await signed(k, { type: 'SERVER_HELLO_LINK', from: randomUUID(), to: s.serverId(), payload: hello }),
    )
    expect((await c.closed).code).toBe(4003)
    await nothing(c, 'SERVER_HELLO_LINK', 50)
    expect(s.ctx.store.servers.all()).toEqual([])
  })
})
