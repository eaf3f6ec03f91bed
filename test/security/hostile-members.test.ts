/**
 * @module Issue 10, breaks 4–6, performed on real servers by a mesh member that proved its own key
 * (anyone can): relabelling its user as someone else, replaying its gossip as an amplifier, and
 * stealing or splitting a name. Servers relay nothing, dedup on the whole signed frame, and take a
 * user's name only from its home server's directory entry (PROTOCOL.md §4, §6).
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { b64uEncode, dmPreimage, encrypt, type KeyPair, signContent, utf8 } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, stop, until } from '../helpers/servers.ts'
import { ATTACKER_KEY, count, dm, nothing, type Rogue, rawUser, rogueServer } from './_attack.ts'

type Listed = { user_id: string; username: string }
/** A USER_PRESENCE that lists `id` online. */
const lists =
  (id: string) =>
  (f: { payload: Record<string, unknown> }): boolean =>
    Array.isArray(f.payload.online) && (f.payload.online as Listed[]).some((u) => u.user_id === id)

const MALLORY_KEY = ATTACKER_KEY + 1

/** `rogue` sends `target` a SERVER_DELIVER with a DM from `from` to `to`, content-signed with `key`. */
async function deliverFrom(
  rogue: Rogue,
  target: ServerHandle,
  from: string,
  to: { id: string; key: KeyPair },
  key: KeyPair,
  text: string,
): Promise<void> {
  const ts = Date.now()
  const ct = encrypt(to.key.publicKey, utf8(text))
  const payload = {
    user_id: to.id,
    sender: from,
    inner_type: 'MSG_DIRECT',
    ciphertext: b64uEncode(ct),
    sender_pub: key.publicKey.spki,
    content_sig: await signContent(key.privateKey, dmPreimage(ct, from, to.id, ts)),
  }
  await rogue.send('SERVER_DELIVER', payload, { to: target.serverId(), ts })
}

/** intro (bob, watcher) and a (alice), a rogue member linked to intro; DMs prove the mesh works. */
async function scene() {
  const [intro, a] = (await mesh(1)) as [
    Awaited<ReturnType<typeof mesh>>[0],
    Awaited<ReturnType<typeof mesh>>[0],
  ]
  const alice = await rawUser(a, 'alice', 0)
  const bob = await rawUser(intro, 'bob', 1)
  await until(() => intro.ctx.presence.locations.has(alice.id), 3_000, 'alice seen at intro')
  const rogue = await rogueServer(intro)
  const mkey = await testKey(MALLORY_KEY)
  const mallory = { id: randomUUID(), key: mkey }
  const works = async (what: string) => {
    bob.peer.send(await dm(bob, alice, what))
    await until(() => count(alice.peer, 'USER_DELIVER', (f) => f.payload.sender === bob.id) > 0, 5_000, what)
    alice.peer.frames.splice(0)
  }
  return { intro, a, alice, bob, rogue, mallory, works }
}

describe('hostile members', () => {
  test('break 4: an advert naming the rogue’s user "alice" reaches our users under its directory name', async () => {
    const { intro, alice, bob, rogue, mallory, works } = await scene()
    const pub = mallory.key.publicKey.spki
    await rogue.send('DIRECTORY_ENTRY', {
      user_id: mallory.id,
      username: 'mallory',
      pubkey: pub,
      server_id: rogue.id,
      created: Date.now(),
    })
    await rogue.send('USER_ADVERTISE', {
      user_id: mallory.id,
      server_id: rogue.id,
      pubkey: pub,
      meta: { display_name: 'alice', username: 'alice', pubkey: pub },
    })
    await until(() => intro.ctx.presence.locations.get(mallory.id) === rogue.id, 3_000, 'mallory online')
    // Our users hear it in our own signed USER_PRESENCE (docs/wire.md §14), named from the directory.
    await until(() => count(bob.peer, 'USER_PRESENCE', lists(mallory.id)) === 1, 3_000, 'presence to bob')
    const advert = bob.peer.frames.find((f) => f.type === 'USER_PRESENCE' && lists(mallory.id)(f))!
    const entry = (advert.payload.online as Listed[]).find((u) => u.user_id === mallory.id)
    expect(entry?.username).toBe('mallory')
    expect(advert.from).toBe(intro.serverId())
    expect(intro.ctx.store.directory.byId(mallory.id)?.username).toBe('mallory')
    expect(intro.ctx.store.directory.byUsername('alice')?.userId).toBe(alice.id)
    await works('alice is still alice')
    expect(count(rogue.peer, 'SERVER_DELIVER')).toBe(0)
  })

  test('break 5: replayed gossip is deduplicated, never relayed, and what reaches users stays small', async () => {
    const { intro, a, bob, rogue, mallory, works } = await scene()
    const pub = mallory.key.publicKey.spki
    await rogue.send('DIRECTORY_ENTRY', {
      user_id: mallory.id,
      username: 'mallory',
      pubkey: pub,
      server_id: rogue.id,
      created: Date.now(),
    })
    const big = await rogue.frame('USER_ADVERTISE', {
      user_id: mallory.id,
      server_id: rogue.id,
      pubkey: pub,
      meta: { display_name: 'mallory', pubkey: pub },
      pad: 'x'.repeat(200_000),
    })
    for (let i = 0; i < 100; i++) rogue.peer.send(big)
    await until(() => count(bob.peer, 'USER_PRESENCE', lists(mallory.id)) === 1, 3_000)
    await Bun.sleep(500)
    // One signed frame replayed a hundred times is one frame.
    expect(count(bob.peer, 'USER_PRESENCE', lists(mallory.id))).toBe(1)
    // The same signature under new `ts` values: the origin saying it again, on its own budget, and
    // what reaches a user is the directory's few hundred bytes, not the rogue's 200 KB.
    for (let i = 1; i <= 50; i++) rogue.peer.send({ ...big, ts: big.ts + i })
    await Bun.sleep(800)
    const adverts = bob.peer.frames.filter(
      (f) =>
        (f.type === 'USER_ADVERTISE' && f.payload.user_id === mallory.id) ||
        (f.type === 'USER_PRESENCE' && lists(mallory.id)(f)),
    )
    expect(adverts.length).toBeLessThanOrEqual(51)
    for (const f of adverts) expect(JSON.stringify(f).length).toBeLessThan(4_000)
    // Nothing of it crossed to the other server.
    expect(a.ctx.presence.locations.has(mallory.id)).toBe(false)
    expect(a.ctx.store.directory.byId(mallory.id)).toBeNull()
    expect(intro.ctx.peers.has(a.serverId())).toBe(true)
    await works('after the replay flood')
  })

  test('break 6: an earlier-dated claim on a name takes nothing: the owner keeps entry, home, key and DMs', async () => {
    const { intro, a, alice, rogue, mallory, works } = await scene()
    const before = intro.ctx.store.directory.byId(alice.id)
    await rogue.send('DIRECTORY_ENTRY', {
      user_id: mallory.id,
      username: 'alice',
      pubkey: mallory.key.publicKey.spki,
      server_id: rogue.id,
      created: 1,
    })
    // …and a claim on alice's own id, moving her to the rogue.
    await rogue.send('DIRECTORY_ENTRY', {
      user_id: alice.id,
      username: 'alice',
      pubkey: mallory.key.publicKey.spki,
      server_id: rogue.id,
      created: 1,
    })
    await until(
      () => intro.ctx.store.directory.byId(mallory.id) !== null,
      3_000,
      'the claim stored beside alice',
    )
    expect(intro.ctx.store.directory.byId(alice.id)).toEqual(before)
    expect(
      intro.ctx.store.directory
        .allByUsername('alice')
        .map((e) => e.userId)
        .sort(),
    ).toEqual([alice.id, mallory.id].sort())
    expect(a.ctx.store.directory.byId(alice.id)?.serverId).toBe(a.serverId())
    await works('alice keeps her DMs')
    await nothing(rogue.peer, 'SERVER_DELIVER', 200)
  })

  test('break 6: two servers registering one name at the same moment both keep their users everywhere', async () => {
    const { intro, a } = await scene()
    const [x, y] = await Promise.allSettled([rawUser(intro, 'carol', 3), rawUser(a, 'carol', 4)])
    const made = [x, y].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    expect(made.length).toBeGreaterThanOrEqual(1)
    await Bun.sleep(500)
    for (const s of [intro, a])
      for (const u of made) expect(s.ctx.store.directory.byId(u.id)?.serverId).toBe(u.serverId)
  })

  test('a member can neither move nor key another server’s keyless user', async () => {
    const s = await server()
    const bob = await rawUser(s, 'bob', 1)
    // `home` plays another implementation's server, which advertises its users without a key.
    const home = await rogueServer(s, ATTACKER_KEY)
    const rogue = await rogueServer(s, MALLORY_KEY)
    const u = randomUUID()
    await home.send('USER_ADVERTISE', { user_id: u, server_id: home.id, meta: { display_name: 'ursula' } })
    await until(() => s.ctx.presence.locations.get(u) === home.id, 3_000, 'ursula online at her server')
    // Found by a red-team pass: a later-dated advert moved her, and a DM "from" her keyed her.
    const later = { ts: Date.now() + 60_000 }
    await rogue.send(
      'USER_ADVERTISE',
      { user_id: u, server_id: rogue.id, meta: { display_name: 'ursula' } },
      later,
    )
    await rogue.send(
      'USER_ADVERTISE',
      { user_id: u, server_id: rogue.id, pubkey: rogue.key.publicKey.spki },
      later,
    )
    await deliverFrom(rogue, s, u, bob, rogue.key, 'forged')
    await Bun.sleep(300)
    expect(s.ctx.presence.locations.get(u)).toBe(home.id)
    expect(s.ctx.store.directory.byId(u)).toBeNull()
    expect(count(bob.peer, 'USER_DELIVER')).toBe(0)
    // Her own server's first DM keys her, and reaches bob.
    const real = await testKey(ATTACKER_KEY + 2)
    await deliverFrom(home, s, u, bob, real, 'hello')
    await until(() => count(bob.peer, 'USER_DELIVER') === 1, 3_000, 'her DM at bob')
    expect(s.ctx.store.directory.byId(u)).toMatchObject({ serverId: home.id, pubkey: real.publicKey.spki })
  })

  test('a keyless user stays their server’s after going offline and after our restart', async () => {
    const s = await server()
    const home = await rogueServer(s, ATTACKER_KEY)
    const u = randomUUID()
    await home.send('USER_ADVERTISE', { user_id: u, server_id: home.id, meta: { display_name: 'ursula' } })
    await until(() => s.ctx.presence.locations.get(u) === home.id, 3_000, 'ursula online at her server')
    await home.send('USER_REMOVE', { user_id: u, server_id: home.id })
    await until(() => !s.ctx.presence.locations.has(u), 3_000, 'ursula offline')
    // Found by a red-team pass: what was in memory only was forgotten by a restart (or a flood).
    await stop(s)
    const again = await server({ db: s.db, port: s.port })
    const rogue = await rogueServer(again, MALLORY_KEY)
    const entry = { user_id: u, username: 'ursula', pubkey: rogue.key.publicKey.spki, server_id: rogue.id }
    await rogue.send('DIRECTORY_ENTRY', { ...entry, created: Date.now() })
    await rogue.send('USER_ADVERTISE', { user_id: u, server_id: rogue.id, meta: { display_name: 'ursula' } })
    await Bun.sleep(300)
    expect(again.ctx.store.directory.byId(u)).toBeNull()
    expect(again.ctx.presence.locations.has(u)).toBe(false)
    const back = await rogueServer(again, ATTACKER_KEY)
    await back.send('USER_ADVERTISE', { user_id: u, server_id: back.id, meta: { display_name: 'ursula' } })
    await until(() => again.ctx.presence.locations.get(u) === back.id, 3_000, 'ursula back at her server')
  })
})
