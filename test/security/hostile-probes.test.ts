/**
 * @module The second red-team pass on admission (issue 10), performed on real servers: a stranger
 * that hangs up mid-handshake must not leave pins behind, a probe that never ends must not stall
 * honest joins, the dial-back probe must not be a dialer for hire, and a truncated ERROR gets no
 * ERROR back.
 */

import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import type { TCPSocketListener } from 'bun'
import { decode } from '../../src/protocol/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { testKey } from '../helpers/keys.ts'
import { server, stop, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, signed } from './_attack.ts'
import { claimedAddress, recordDials, stranger } from './_stranger.ts'

/** A tarpit: accepts TCP connections and never says a word, so a probe there waits its whole timeout. */
function tarpit(): { port: number; hits: () => number; stop(): void } {
  let hits = 0
  const held: { end(): void }[] = []
  const l: TCPSocketListener = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open: (s) => {
        hits++
        held.push(s)
      },
      data: () => {},
    },
  })
  return {
    port: l.port,
    hits: () => hits,
    stop: () => {
      for (const s of held) s.end()
      l.stop(true)
    },
  }
}

const pins = (s: { ctx: { store: { servers: { all(): { serverId: string }[] } } } }) =>
  s.ctx.store.servers.all().map((p) => p.serverId)

describe('address probes under attack', () => {
  test('a stranger that hangs up right after its proof leaves no pin, by join or by link', async () => {
    const intro = await server()
    const claimed = claimedAddress()
    const key = await testKey(ATTACKER_KEY)
    for (const join of [true, false, true, false]) {
      await stranger(intro, key, { port: claimed.port, join, hangUpAfterProof: true, id: randomUUID() })
    }
    await Bun.sleep(1_500)
    expect(pins(intro)).toEqual([])
    // So its address's budget is whole: an honest server from it joins.
    const b = await server({ peers: [intro] })
    await until(() => intro.ctx.store.servers.get(b.serverId())?.confirmed === true, 5_000, 'b confirmed')
  })

  test('a linked stranger whose address is a tarpit does not stall an honest join', async () => {
    const intro = await server({ helloTimeoutMs: 10_000 })
    const b = await server({ peers: [intro] })
    const pit = tarpit()
    try {
      const rogue = await stranger(intro, await testKey(ATTACKER_KEY), { port: pit.port })
      expect(rogue.outcome).toBe('linked')
      await until(() => pit.hits() >= 1, 5_000, 'the probe in the tarpit')
      // The probe waits 10 s there; the next joiner is welcomed well within its 5 s and links to b.
      const t0 = Date.now()
      const c = await server({ peers: [intro] })
      expect(Date.now() - t0).toBeLessThan(4_000)
      await until(() => c.ctx.peers.has(b.serverId()), 5_000, 'c linked to b')
      const alice = await user(b, 'alice', 0)
      const carol = await user(c, 'carol', 2)
      await until(() => c.ctx.presence.locations.has(alice.userId!), 3_000, 'alice seen from c')
      const got = alice.next('dm', (m) => m.text === 'joined despite the tarpit')
      await carol.tell('alice', 'joined despite the tarpit')
      expect((await got).text).toBe('joined despite the tarpit')
    } finally {
      pit.stop()
    }
  }, 30_000)

  test('strangers cycling fresh ids cannot make a server dial one address more than its probe budget', async () => {
    const intro = await server()
    const victim = claimedAddress()
    const key = await testKey(ATTACKER_KEY)
    for (let i = 0; i < 8; i++) {
      const s = await stranger(intro, key, { port: victim.port })
      expect(s.outcome).toBe('linked')
      await until(() => victim.hits() >= Math.min(i + 1, 3), 3_000, 'a probe')
      s.peer.close()
      await until(() => pins(intro).length === 0, 3_000, 'forgotten')
    }
    await Bun.sleep(1_000)
    // Eight ids, eight links, one key: three dials of the victim (the per-target burst), not eight.
    expect(victim.hits()).toBe(3)
  }, 30_000)

  test('a claim of a link-local address (a metadata service) is never dialed', async () => {
    const intro = await server()
    const key = await testKey(ATTACKER_KEY)
    const dialed = recordDials(intro)
    const s = await stranger(intro, key)
    expect(s.outcome).toBe('linked')
    // Its announce moves its address to 169.254.169.254: a claim, never dialed.
    s.peer.send(
      await signed(key, {
        type: 'SERVER_ANNOUNCE',
        from: s.id,
        to: '*',
        payload: { host: '169.254.169.254', port: 80, pubkey: key.publicKey.spki, auth: 'v1' },
      }),
    )
    await until(() => intro.ctx.store.servers.get(s.id)?.host === '169.254.169.254', 3_000, 'the move')
    await Bun.sleep(1_000)
    expect(dialed).not.toContain('169.254.169.254:80')
    expect(intro.ctx.store.servers.get(s.id)?.confirmed).toBe(false)
  })
})

describe('the third red-team pass', () => {
  test('a stranger that made up users before leaving is forgotten with them; its address can add servers again', async () => {
    const intro = await server({ joinsPerAddress: 2 })
    const key = await testKey(ATTACKER_KEY)
    for (let i = 0; i < 4; i++) {
      const s = await stranger(intro, await testKey(ATTACKER_KEY + (i % 2)))
      expect(s.outcome).toBe('linked')
      const ghost = {
        user_id: randomUUID(),
        username: `ghost${i}`,
        pubkey: key.publicKey.spki,
        server_id: s.id,
      }
      s.peer.send(
        await signed(await testKey(ATTACKER_KEY + (i % 2)), {
          type: 'DIRECTORY_ENTRY',
          from: s.id,
          to: '*',
          payload: { ...ghost, created: Date.now() },
        }),
      )
      await until(() => intro.ctx.store.directory.byId(ghost.user_id) !== null, 3_000, 'the ghost listed')
      s.peer.close()
      await until(() => pins(intro).length === 0, 3_000, 'forgotten')
      expect(intro.ctx.store.directory.byId(ghost.user_id)).toBeNull()
    }
    // Four strangers came and went through a budget of two: honest servers still join.
    const b = await server({ peers: [intro] })
    const c = await server({ peers: [intro] })
    await until(() => c.ctx.peers.has(b.serverId()), 5_000, 'a full mesh')
  }, 30_000)

  test('nobody can link first under a joining server’s id: a new server’s id is the one its key makes', async () => {
    for (const joinSecret of [undefined, 'the secret of this mesh, 32 chars']) {
      const intro = await server(joinSecret ? { joinSecret } : {})
      const m = await server({ peers: [intro], ...(joinSecret && { joinSecret }) })
      // The squatter knows the id the joiner will have (it is public once the joiner is) and races
      // it to a member with a key of its own — even as a member that knows the mesh's secret.
      const joinerKey = await testKey(ATTACKER_KEY + 3)
      const target = serverIdFor(joinerKey.publicKey.spki)
      const squat = await stranger(m, await testKey(ATTACKER_KEY), {
        id: target,
        ...(joinSecret && { secret: joinSecret }),
      })
      expect(squat.outcome).toBe('refused')
      expect(pins(m)).not.toContain(target)
      const j = await server({ peers: [intro], keyPair: joinerKey, ...(joinSecret && { joinSecret }) })
      expect(j.serverId()).toBe(target)
      await until(
        () => j.ctx.peers.has(m.serverId()) && m.ctx.peers.has(target),
        5_000,
        'the joiner linked to m',
      )
    }
  }, 30_000)

  test('an address spelled another way is the same address: hex-mapped IPv4 is never dialed, one budget per target', async () => {
    const intro = await server()
    const dialed = recordDials(intro)
    const victim = claimedAddress()
    const spellings = [
      '::ffff:a9fe:a9fe',
      '::ffff:e000:1',
      '::ffff:0:1',
      '0:0:0:0:0:ffff:7f00:1',
      '::FFFF:7F00:1',
      'LOCALHOST',
      '127.0.0.1',
      '::ffff:127.0.0.1',
    ]
    for (const [i, host] of spellings.entries()) {
      const port = i < 3 ? 80 : victim.port
      // A key (so an id) of its own each: one id's probes are not repeated anyway.
      const s = await stranger(intro, await testKey(ATTACKER_KEY + i), { host, port })
      expect(s.outcome).toBe('linked')
      s.peer.close()
      await until(() => pins(intro).length === 0, 3_000, 'forgotten')
    }
    await Bun.sleep(1_000)
    expect(dialed.filter((d) => d.endsWith(':80'))).toEqual([])
    // Five spellings of this host's loopback address: the per-target burst, three dials.
    expect(victim.hits()).toBe(3)
  }, 30_000)
})

describe('the fourth red-team pass', () => {
  test('a join that asks for an offline server’s id gets its own; a replay of that server’s hello then speaks for nobody', async () => {
    const intro = await server()
    const mm = await server({ peers: [intro] })
    const victim = await server({ peers: [intro] })
    await until(
      () => mm.ctx.store.servers.get(victim.serverId())?.confirmed === true,
      10_000,
      'victim linked to m and confirmed there',
    )
    const vid = victim.serverId()
    // Anyone can get the victim's own SERVER_HELLO_LINK: link to it as a new server.
    const capture = await stranger(victim, await testKey(ATTACKER_KEY + 1))
    expect(capture.outcome).toBe('linked')
    const hello = capture.peer.frames.find((f) => f.type === 'SERVER_HELLO_LINK' && f.from === vid)!
    expect(hello).toBeDefined()
    await stop(victim)
    await until(() => !mm.ctx.peers.has(vid), 5_000, 'victim down at m')
    // A join under the victim's id with the attacker's key is given the attacker's own id…
    const key = await testKey(ATTACKER_KEY)
    const join = await stranger(mm, key, { id: vid, join: true })
    expect(join.outcome).toBe('linked')
    const welcome = join.peer.frames.find((f) => f.type === 'SERVER_WELCOME')!
    expect(welcome.payload.assigned_id).toBe(serverIdFor(key.publicKey.spki))
    // The server's proof names the link it gave the joiner, not the id it asked for, so a relay
    // cannot pass it on to that server as if it were meant for it (fifth pass).
    const proof = join.peer.frames.find((f) => f.type === 'SERVER_PROOF' && f.from === mm.serverId())!
    expect(proof.payload.peer_id).toBe(serverIdFor(key.publicKey.spki))
    // …so the victim's replayed hello on that link is dropped: nothing speaks for the victim.
    join.peer.send(hello)
    await Bun.sleep(500)
    expect(mm.ctx.peers.has(vid)).toBe(false)
    expect(mm.ctx.store.servers.get(vid)?.pubkey).toBe(victim.ctx.me.pubkey)
    // The victim comes back and is linked again: its users are reachable.
    const back = await server({ db: victim.db, peers: [intro] })
    await until(
      () => mm.ctx.peers.has(vid) && back.ctx.peers.has(mm.serverId()),
      10_000,
      'the victim relinked',
    )
    const alice = await user(mm, 'alice', 0)
    const bob = await user(back, 'bob', 1)
    await until(() => mm.ctx.presence.locations.has(bob.userId!), 3_000, 'bob seen at m')
    const got = bob.next('dm', (d) => d.text === 'to the real server')
    await alice.tell('bob', 'to the real server')
    expect((await got).text).toBe('to the real server')
  }, 40_000)

  test('numeric and hex names (0x7f.1, 0xa9fea9fe) and zone ids are no hosts: refused at decode', async () => {
    const intro = await server()
    const key = await testKey(ATTACKER_KEY)
    const id = serverIdFor(key.publicKey.spki)
    const c = await connect(intro.url)
    for (const host of ['0x7f.1', '0xa9fea9fe', '2130706433', 'fe80::1%1', 'x.123']) {
      const payload = { host, port: 9199, pubkey: key.publicKey.spki, auth: 'v1' }
      const f = await signed(key, { type: 'SERVER_HELLO_LINK', from: id, to: intro.serverId(), payload })
      expect(decode(JSON.stringify(f), 'serverToServer').ok).toBe(false)
      c.send(f)
    }
    await Bun.sleep(500)
    expect(c.frames.filter((f) => f.type === 'SERVER_CHALLENGE')).toEqual([])
    expect(pins(intro)).toEqual([])
  })
})

test('servers an address added that left long ago stop counting against it (fifth pass)', async () => {
  const intro = await server({ joinsPerAddress: 2 })
  // Two servers this address made us pin once, confirmed, long gone.
  for (const n of [1, 2])
    intro.ctx.store.servers.pin({
      serverId: randomUUID(),
      host: '127.0.0.1',
      port: 40_000 + n,
      pubkey: `gone-${n}`,
      confirmed: true,
      admittedFrom: '127.0.0.1',
    })
  expect((await stranger(intro, await testKey(ATTACKER_KEY))).outcome).toBe('refused')
  const db = new Database(intro.db)
  db.run("UPDATE servers SET pinned_at = 0, last_seen = NULL WHERE pubkey LIKE 'gone-%'")
  db.close()
  expect((await stranger(intro, await testKey(ATTACKER_KEY))).outcome).toBe('linked')
})

test('a truncated ERROR gets no ERROR back', async () => {
  const s = await server()
  const peer = await connect(s.url)
  peer.sendText('{"type":"ERROR",')
  peer.sendText('{"type" : "ERROR", "payload": {')
  peer.sendText('{"type":"\\u0045RROR", "payload": {')
  peer.sendText(`${' '.repeat(600)}{"type":"ERROR",`)
  peer.sendText('{"payload":{"type":"x"},"type":"ERROR","from":"a"')
  peer.sendText('{"t\\u0079pe":"ERROR","from":"a"')
  peer.sendText('{"type":"NOT_A_TYPE",')
  const answer = await peer.next('ERROR', 3_000)
  await Bun.sleep(300)
  // Only the third, which does not call itself an ERROR, is answered.
  expect(peer.frames).toHaveLength(1)
  expect(answer.payload.code).toBe('BAD_REQUEST')
})
