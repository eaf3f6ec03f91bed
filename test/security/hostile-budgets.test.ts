/**
 * @module Issue 10, break 7, performed on real servers: one origin filling its directory cap, one
 * user flooding unsigned FILE_CHUNKs, one socket provoking a warning per frame. Budgets are per
 * origin (PROTOCOL.md §4), RSA signing is shared round robin (src/server/fair.ts), and log lines
 * are rate-limited per cause and link (src/server/loglimit.ts).
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { b64uEncode, encrypt } from '../../src/crypto/index.ts'
import { logger, setLogSink } from '../../src/log.ts'
import { FairQueue } from '../../src/server/fair.ts'
import { LogLimiter } from '../../src/server/loglimit.ts'
import { testKey } from '../helpers/keys.ts'
import { server, until } from '../helpers/servers.ts'
import { ATTACKER_KEY, count, dm, rawUser, rogueServer } from './_attack.ts'

describe('budgets per origin', () => {
  test('break 7: a member at its directory cap refuses only its own new users; an honest server’s still arrive', async () => {
    const intro = await server({ maxUsersPerServer: 5 })
    const a = await server({ peers: [intro], maxUsersPerServer: 5 })
    await until(() => intro.ctx.peers.has(a.serverId()), 3_000, 'a linked')
    const rogue = await rogueServer(intro)
    const k = await testKey(ATTACKER_KEY + 1)
    for (let i = 0; i < 20; i++)
      await rogue.send('DIRECTORY_ENTRY', {
        user_id: randomUUID(),
        username: `flood_${i}`,
        pubkey: k.publicKey.spki,
        server_id: rogue.id,
        created: Date.now(),
      })
    await until(
      () => intro.ctx.store.directory.byServer(rogue.id).length === 5,
      3_000,
      'the rogue at its cap',
    )
    await Bun.sleep(200)
    expect(intro.ctx.store.directory.byServer(rogue.id).length).toBe(5)
    const dave = await rawUser(a, 'dave', 3)
    const bob = await rawUser(intro, 'bob', 1)
    await until(() => intro.ctx.store.directory.byId(dave.id) !== null, 3_000, 'dave known at intro')
    await until(() => intro.ctx.presence.locations.get(dave.id) === a.serverId(), 3_000, 'dave online')
    bob.peer.send(await dm(bob, dave, 'reachable'))
    await dave.peer.next('USER_DELIVER', 5_000)
  })

  test('keyless adverts take the origin’s user slots and reach only clients that follow everyone', async () => {
    const s = await server({ maxUsersPerServer: 5 })
    const carol = await rawUser(s, 'carol', 2, 'contacts')
    const dan = await rawUser(s, 'dan', 3)
    const rogue = await rogueServer(s)
    const before = s.ctx.presence.locations.size
    for (let i = 0; i < 20; i++)
      await rogue.send('USER_ADVERTISE', {
        user_id: randomUUID(),
        server_id: rogue.id,
        meta: { display_name: `made_up_${i}` },
      })
    await until(() => count(dan.peer, 'USER_ADVERTISE') === 5, 3_000, 'five adverts at dan')
    await Bun.sleep(300)
    // Found by a red-team pass: each made-up id stayed in the presence tables, with no bound.
    expect(s.ctx.presence.locations.size - before).toBe(5)
    expect(count(dan.peer, 'USER_ADVERTISE')).toBe(5)
    expect(count(carol.peer, 'USER_ADVERTISE')).toBe(0)
  })

  test('a member’s PUBLIC_CHANNEL_UPDATED writes wraps only for its own users', async () => {
    const s = await server()
    const bob = await rawUser(s, 'bob', 1)
    bob.peer.close()
    await until(() => !s.ctx.presence.local.has(bob.id), 3_000, 'bob offline')
    const rogue = await rogueServer(s)
    const junk = b64uEncode(new Uint8Array(512).fill(7))
    await rogue.send('PUBLIC_CHANNEL_UPDATED', {
      version: s.ctx.store.channel.version() + 1,
      wraps: [{ member_id: bob.id, wrapped_key: junk }],
    })
    await until(() => rogue.peer.ws.readyState === WebSocket.OPEN, 1_000, 'the frame taken')
    await Bun.sleep(300)
    expect(s.ctx.store.channel.members().map((m) => m.memberId)).not.toContain(bob.id)
  })

  test('break 7: one user’s unsigned FILE_CHUNK flood does not stop another user’s DMs across servers', async () => {
    const intro = await server()
    const a = await server({ peers: [intro] })
    await until(() => intro.ctx.peers.has(a.serverId()), 3_000, 'a linked')
    const bob = await rawUser(intro, 'bob', 1)
    const alice = await rawUser(a, 'alice', 0)
    const mallory = await rawUser(a, 'mallory', ATTACKER_KEY)
    await until(() => a.ctx.presence.locations.has(bob.id), 3_000, 'bob seen at a')
    const ct = b64uEncode(encrypt(bob.key.publicKey, new Uint8Array(446)))
    const fileId = randomUUID()
    const flood = Array.from({ length: 1_500 }, (_, index) =>
      JSON.stringify({
        type: 'FILE_CHUNK',
        from: mallory.id,
        to: bob.id,
        ts: Date.now(),
        payload: { file_id: fileId, index, ciphertext: ct },
      }),
    )
    for (const t of flood) mallory.peer.sendText(t)
    const t0 = performance.now()
    for (let i = 0; i < 5; i++) alice.peer.send(await dm(alice, bob, `dm ${i}`))
    await until(
      () => count(bob.peer, 'USER_DELIVER', (f) => f.payload.sender === alice.id) === 5,
      15_000,
      'alice’s DMs during the flood',
    )
    const took = performance.now() - t0
    const chunks = count(bob.peer, 'FILE_CHUNK')
    // Round robin: alice's five signatures did not wait behind the whole flood.
    expect(chunks).toBeLessThan(flood.length)
    expect(took).toBeLessThan(10_000)
  })

  test('signing is round robin between owners: a late owner is served next, not after the flood', async () => {
    const q = new FairQueue(1)
    const order: string[] = []
    const job = (tag: string) => () => Bun.sleep(1).then(() => void order.push(tag))
    const all = Array.from({ length: 50 }, (_, i) => q.run('flood', job(`f${i}`)))
    all.push(q.run('alice', job('alice')))
    await Promise.all(all)
    expect(order.indexOf('alice')).toBeLessThanOrEqual(2)
  })

  test('log lines are limited per cause and link, with a count of what was suppressed', () => {
    const lines: string[] = []
    setLogSink((l) => lines.push(l))
    try {
      const limiter = new LogLimiter(logger('t', 'warn'))
      for (let i = 0; i < 1_000; i++) limiter.line('warn', 'decode|7', `junk ${i}`, 1_000 + i)
      limiter.line('warn', 'decode|8', 'another link', 1_500)
      expect(lines.length).toBe(6)
      limiter.line('warn', 'decode|7', 'later', 20_000)
      expect(lines.some((l) => l.includes('995 similar lines suppressed (decode|7)'))).toBe(true)
      expect(lines.at(-1)).toContain('later')
    } finally {
      setLogSink((l) => process.stderr.write(`${l}\n`))
    }
  })

  test('a server link sending junk gets a handful of WARN lines, not one per frame', async () => {
    const lines: string[] = []
    const s = await server({ logLevel: 'warn', name: 'junk-target' })
    setLogSink((l) => lines.push(l))
    try {
      const rogue = await rogueServer(s)
      for (let i = 0; i < 2_000; i++) rogue.peer.sendText(`{"type":"NOPE","n":${i}}`)
      await Bun.sleep(800)
      const ours = lines.filter((l) => l.includes('[junk-target]') && l.includes('WARN'))
      expect(ours.length).toBeGreaterThan(0)
      expect(ours.length).toBeLessThan(20)
    } finally {
      setLogSink((l) => process.stderr.write(`${l}\n`))
    }
  })
})
