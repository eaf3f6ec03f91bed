/**
 * @module Replay (issue 5, issue 3's mesh "Done when"): an identical frame twice is delivered
 * once, on user and server links; a stale `ts` is refused; a replay still fails after the dedup
 * cache forgot the original; a captured USER_HELLO binds nothing; an old presence frame cannot
 * undo a newer one.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { b64uEncode, dmPreimage, encrypt, signContent, utf8 } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, count, dm, type Frame, nothing, rawUser, rogueServer, signed } from './_attack.ts'

const MINUTE = 60_000

/**
 * Pushes `n` other frames' keys through the seen cache, as heavy traffic would, with fresh ts. In
 * slices, so heartbeats keep flowing and the links under test stay up.
 */
async function flushSeen(s: ServerHandle, n: number): Promise<void> {
  const now = Date.now()
  for (let i = 0; i < n; i++) {
    s.ctx.seen.add(`${now}|flood|${i}|x`, now)
    if (i % 10_000 === 0) await Bun.sleep(0)
  }
}

describe('replay', () => {
  test('an identical MSG_DIRECT sent twice is delivered once', async () => {
    const s = await server()
    const alice = await rawUser(s, 'alice', 0)
    const bob = await rawUser(s, 'bob', 1)
    const f = await dm(alice, bob, 'once')
    alice.peer.send(f)
    alice.peer.send(f)
    alice.peer.send({ ...f, id: 'extra envelope keys do not make it new' })
    await bob.peer.next('USER_DELIVER')
    await nothing(bob.peer, 'USER_DELIVER', 300)
    expect(count(bob.peer, 'USER_DELIVER')).toBe(1)
  })

  test('a MSG_DIRECT with a stale or far-future ts is refused, though correctly signed', async () => {
    const s = await server()
    const alice = await rawUser(s, 'alice', 0)
    const bob = await rawUser(s, 'bob', 1)
    for (const ts of [Date.now() - 6 * MINUTE, Date.now() + 6 * MINUTE, Date.now() - 16 * MINUTE, 0]) {
      alice.peer.send(await dm(alice, bob, 'stale', { ts }))
      expect((await alice.peer.next('ERROR')).payload.code).toBe('BAD_REQUEST')
    }
    await nothing(bob.peer, 'USER_DELIVER', 200)
  })

  test('a replay after the dedup cache has evicted the original is still refused', async () => {
    const s = await server()
    const alice = await rawUser(s, 'alice', 0)
    const bob = await rawUser(s, 'bob', 1)
    const f = await dm(alice, bob, 'evict me')
    alice.peer.send(f)
    // Dated 4 minutes ahead: allowed, and it must not let a flood lock out the present.
    alice.peer.send(await dm(alice, bob, 'from the future', { ts: Date.now() + 4 * MINUTE }))
    await until(() => count(bob.peer, 'USER_DELIVER') === 2, 3_000, 'both delivered')
    // Everything since: enough traffic to push the original out of the bounded cache.
    await flushSeen(s, s.ctx.seen.maxEntries)
    alice.peer.send(f)
    await nothing(bob.peer, 'USER_DELIVER', 300)
    expect(count(bob.peer, 'USER_DELIVER')).toBe(2)
    // Fresh traffic still flows.
    alice.peer.send(await dm(alice, bob, 'new'))
    await until(() => count(bob.peer, 'USER_DELIVER') === 3, 3_000, 'fresh traffic delivered')
  })

  test('a captured USER_HELLO binds nothing when replayed on another connection', async () => {
    const s = await server()
    const alice = await rawUser(s, 'alice', 0)
    alice.peer.close()
    await until(() => s.ctx.presence.local.size === 0, 3_000, 'alice offline')
    // Replayed before any login on the new link, then after a login as someone else.
    const c = await connect(s.url)
    c.send(alice.hello)
    expect((await c.next('ERROR')).payload.code).toBe('AUTH_FAILED')
    const k = await testKey(ATTACKER_KEY)
    const payload = {
      username: 'mallory',
      pubkey: k.publicKey.spki,
      privkey_store: 'AAAA',
      kdf: { name: 'scrypt', salt: 'AAAAAAAAAAAAAAAAAAAAAA', N: 2 ** 15, r: 8, p: 1 },
      auth_key: 'AAAA',
    }
    c.send(await signed(k, { type: 'USER_REGISTER', from: randomUUID(), to: '', payload }))
    await c.next('AUTH_OK')
    c.send(alice.hello)
    expect((await c.next('ERROR')).payload.code).toBe('AUTH_FAILED')
    expect(s.ctx.presence.local.has(alice.id)).toBe(false)
    expect([...s.ctx.peers.links].filter((l) => l.user?.login.state.stage === 'bound')).toEqual([])
  })

  describe('on server links', () => {
    /** A rogue server with a user of its own delivering to bob at the introducer. */
    async function scene() {
      const [intro] = await mesh(0)
      const bob = await rawUser(intro!, 'bob', 1)
      const rogue = await rogueServer(intro!)
      const mallory = { id: randomUUID(), key: await testKey(ATTACKER_KEY + 1) }
      // Advertised as another implementation would (no key): a server speaks only for its users.
      await rogue.send('USER_ADVERTISE', {
        user_id: mallory.id,
        server_id: rogue.id,
        meta: { display_name: 'mallory' },
      })
      await until(() => intro!.ctx.presence.locations.get(mallory.id) === rogue.id, 3_000, 'mallory online')
      const deliver = async (text: string, ts = Date.now()): Promise<Frame> => {
        const ct = encrypt(bob.key.publicKey, utf8(text))
        const payload = {
          user_id: bob.id,
          sender: mallory.id,
          inner_type: 'MSG_DIRECT',
          ciphertext: b64uEncode(ct),
          sender_pub: mallory.key.publicKey.spki,
          content_sig: await signContent(mallory.key.privateKey, dmPreimage(ct, mallory.id, bob.id, ts)),
        }
        return rogue.frame('SERVER_DELIVER', payload, { to: intro!.serverId(), ts })
      }
      return { intro: intro!, bob, rogue, deliver }
    }

    test('a SERVER_DELIVER replayed on a server link is delivered once', async () => {
      const { bob, rogue, deliver } = await scene()
      const f = await deliver('once across servers')
      rogue.peer.send(f)
      rogue.peer.send(f)
      rogue.peer.send({ ...f, relay: 'extra keys are ignored' })
      await bob.peer.next('USER_DELIVER')
      await nothing(bob.peer, 'USER_DELIVER', 300)
      expect(count(bob.peer, 'USER_DELIVER')).toBe(1)
    })

    test('a stale SERVER_DELIVER is dropped, and so is a replay after eviction', async () => {
      const { intro, bob, rogue, deliver } = await scene()
      rogue.peer.send(await deliver('stale', Date.now() - 11 * MINUTE))
      rogue.peer.send(await deliver('future', Date.now() + 11 * MINUTE))
      await nothing(bob.peer, 'USER_DELIVER', 200)
      const f = await deliver('evict me')
      rogue.peer.send(f)
      await bob.peer.next('USER_DELIVER')
      await flushSeen(intro, intro.ctx.seen.maxEntries)
      rogue.peer.send(f)
      await nothing(bob.peer, 'USER_DELIVER', 300)
      rogue.peer.send(await deliver('fresh'))
      await bob.peer.next('USER_DELIVER')
      expect(count(bob.peer, 'USER_DELIVER')).toBe(2)
    })

    test('an old USER_ADVERTISE replayed after a USER_REMOVE, even once forgotten, cannot resurrect a user', async () => {
      const { intro, rogue } = await scene()
      const u = randomUUID()
      const spki = (await testKey(ATTACKER_KEY + 1)).publicKey.spki
      const advertise = await rogue.frame('USER_ADVERTISE', {
        user_id: u,
        server_id: rogue.id,
        pubkey: spki,
        meta: { display_name: 'ursula' },
      })
      rogue.peer.send(advertise)
      await until(() => intro.ctx.presence.locations.get(u) === rogue.id, 3_000, 'ursula online')
      await rogue.send('USER_REMOVE', { user_id: u, server_id: rogue.id })
      await until(() => !intro.ctx.presence.locations.has(u), 3_000, 'ursula offline')
      rogue.peer.send(advertise)
      await Bun.sleep(200)
      expect(intro.ctx.presence.locations.has(u)).toBe(false)
      await flushSeen(intro, intro.ctx.seen.maxEntries)
      rogue.peer.send(advertise)
      await Bun.sleep(200)
      expect(intro.ctx.presence.locations.has(u)).toBe(false)
    })
  })
})
