/**
 * @module Floods and size (issue 5): oversized frames close the link with 1009; a per-connection
 * rate limit answers RATE_LIMITED; connections that never log in are closed; thousands of bogus
 * connections, advertised users or announced servers stay under fixed caps; junk never costs the
 * server a fresh RSA signature.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { testKey } from '../helpers/keys.ts'
import { server, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, count, dm, rawUser, rogueServer } from './_attack.ts'

const KiB = 1024

/** Opens a WebSocket and reports whether the server accepted it; never throws. */
function tryOpen(url: string): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    ws.addEventListener('open', () => resolve(ws))
    ws.addEventListener('error', () => resolve(null))
    ws.addEventListener('close', () => resolve(null))
  })
}

describe('floods and size', () => {
  test('an oversized frame closes the link with 1009; the server keeps serving', async () => {
    const s = await server()
    const pending = await connect(s.url)
    pending.sendText(`{"type":"AUTH_HELLO","pad":"${'x'.repeat(64 * KiB)}"}`)
    expect((await pending.closed).code).toBe(1009)
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    const bob = await rawUser(s, 'bob', 1)
    mallory.peer.sendText(' '.repeat(64 * KiB + 1))
    expect((await mallory.peer.closed).code).toBe(1009)
    await until(() => !s.ctx.presence.local.has(mallory.id), 2_000, 'mallory unbound')
    // Server links may carry up to 1 MiB, not more.
    const rogue = await rogueServer(s)
    rogue.peer.sendText(`{"type":"HEARTBEAT","pad":"${'x'.repeat(200 * KiB)}"}`)
    await Bun.sleep(200)
    expect(s.ctx.peers.get(rogue.id)?.closed).toBe(false)
    rogue.peer.sendText('x'.repeat(1024 * KiB + 1))
    expect((await rogue.peer.closed).code).toBe(1009)
    const alice = await rawUser(s, 'alice', 0)
    alice.peer.send(await dm(alice, bob, 'still serving'))
    await bob.peer.next('USER_DELIVER')
  })

  test('a per-connection rate limit answers RATE_LIMITED, at most once a second, and keeps the link', async () => {
    const s = await server()
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    const beat = JSON.stringify({ type: 'HEARTBEAT', from: mallory.id, to: '', ts: Date.now(), payload: {} })
    for (let i = 0; i < 3_000; i++) mallory.peer.sendText(beat)
    const e = await mallory.peer.next('ERROR')
    expect(e.payload).toMatchObject({ code: 'RATE_LIMITED' })
    await Bun.sleep(300)
    expect(count(mallory.peer, 'ERROR')).toBeLessThanOrEqual(2)
    expect(s.ctx.presence.local.get(mallory.id)?.closed).toBe(false)
    await Bun.sleep(1_000)
    mallory.peer.send({ type: 'LIST', from: mallory.id, to: s.serverId(), ts: Date.now(), payload: {} })
    expect((await mallory.peer.next('USER_LIST')).payload.users).toHaveLength(1)
  })

  test('connections that never log in are closed: silent, junk-only, and stalled logins', async () => {
    const hello = 400
    const s = await server({ helloTimeoutMs: hello })
    const t0 = Date.now()
    const silent = await connect(s.url)
    const junk = await connect(s.url)
    junk.sendText('not json')
    await junk.next('ERROR')
    const stalled = await connect(s.url)
    stalled.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: 'nobody' } })
    await stalled.next('AUTH_CHALLENGE')
    const alice = await rawUser(s, 'alice', 0)
    const closedAt = async (p: typeof silent) => ((await p.closed).code === 1008 ? Date.now() - t0 : -1)
    const [a, b] = await Promise.all([closedAt(silent), closedAt(junk)])
    // A frame that is not a hello does not buy the 6× allowance a login in progress gets.
    expect(a).toBeGreaterThan(0)
    expect(a).toBeLessThan(hello * 3)
    expect(b).toBeGreaterThan(0)
    expect(b).toBeLessThan(hello * 3)
    const c = await closedAt(stalled)
    expect(c).toBeGreaterThan(0)
    expect(c).toBeLessThan(hello * 8)
    expect(alice.peer.ws.readyState).toBe(WebSocket.OPEN)
    expect(s.ctx.peers.links.size).toBe(1)
  })

  test('a thousand bogus connections never hold more than maxConnections, and all are reaped', async () => {
    const cap = 64
    const s = await server({ maxConnections: cap, helloTimeoutMs: 500 })
    let most = 0
    const probe = setInterval(() => (most = Math.max(most, s.ctx.peers.links.size)), 2)
    const opened: WebSocket[] = []
    for (let batch = 0; batch < 5; batch++) {
      const got = await Promise.all(Array.from({ length: 200 }, () => tryOpen(s.url)))
      for (const ws of got) if (ws) opened.push(ws)
    }
    clearInterval(probe)
    expect(opened.length).toBeGreaterThan(0)
    expect(opened.length).toBeLessThanOrEqual(cap)
    expect(most).toBeLessThanOrEqual(cap)
    await until(() => s.ctx.peers.links.size === 0, 3_000, 'bogus connections reaped')
    for (const ws of opened) ws.close()
    const alice = await rawUser(s, 'alice', 0)
    const bob = await rawUser(s, 'bob', 1)
    alice.peer.send(await dm(alice, bob, 'after the flood'))
    await bob.peer.next('USER_DELIVER')
  })

  test('thousands of users advertised by one server stay under a per-server cap', async () => {
    const cap = 40
    const s = await server({ maxUsersPerServer: cap })
    const rogue = await rogueServer(s)
    const spki = (await testKey(ATTACKER_KEY + 1)).publicKey.spki
    const frames = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const user_id = randomUUID()
        return i % 2 === 0
          ? rogue.frame('USER_ADVERTISE', {
              user_id,
              server_id: rogue.id,
              pubkey: spki,
              meta: { display_name: `u${i}x` },
            })
          : rogue.frame('DIRECTORY_ENTRY', {
              user_id,
              username: `u${i}x`,
              pubkey: spki,
              server_id: rogue.id,
              created: Date.now(),
            })
      }),
    )
    for (const f of frames) rogue.peer.send(f)
    await until(() => s.ctx.store.directory.byServer(rogue.id).length >= cap, 5_000, 'the cap reached')
    await Bun.sleep(300)
    expect(s.ctx.store.directory.byServer(rogue.id).length).toBe(cap)
    expect(s.ctx.presence.locations.size).toBeLessThanOrEqual(cap)
    // Our own users are not crowded out.
    const alice = await rawUser(s, 'alice', 0)
    expect(s.ctx.store.directory.byId(alice.id)?.serverId).toBe(s.serverId())
  })

  test('announces of made-up server ids reusing one signature stay under a cap on pinned servers', async () => {
    const cap = 8
    const s = await server({ maxServers: cap })
    const rogue = await rogueServer(s)
    // `sig` covers only the payload, so one signed announce can be re-sent under any `from`.
    const announce = await rogue.frame('SERVER_ANNOUNCE', {
      host: '127.0.0.1',
      port: 9,
      pubkey: rogue.key.publicKey.spki,
    })
    for (let i = 0; i < 500; i++) rogue.peer.send({ ...announce, from: randomUUID() })
    await Bun.sleep(500)
    expect(s.ctx.store.servers.all().length).toBeLessThanOrEqual(cap)
    expect(s.ctx.peers.addrs.size).toBeLessThanOrEqual(cap)
    expect(s.ctx.peers.get(rogue.id)?.closed).toBe(false)
  })

  test('junk frames cost no fresh signature: identical ERROR payloads share one signature', async () => {
    const s = await server()
    const c = await connect(s.url)
    for (let i = 0; i < 300; i++) c.sendText(`{"truncated": ${i}`)
    await until(() => count(c, 'ERROR') === 300, 5_000, 'every junk frame answered')
    const sigs = new Set(c.frames.filter((f) => f.type === 'ERROR').map((f) => f.sig))
    expect(sigs.size).toBeLessThanOrEqual(2)
  })
})
