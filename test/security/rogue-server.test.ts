/**
 * @module Rogue servers (issue 5, and issue 3's mesh "Done when"): a join or announce that re-keys a
 * known id, frames signed by the wrong key, forged presence and directory entries that would move
 * or rename a user, forged channel updates and deliveries, error storms and echoed broadcasts.
 * Each attacker is a raw socket that links like a server and signs with its own key.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { b64uEncode, dmPreimage, encrypt, signContent, utf8 } from '../../src/crypto/index.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH, prove } from '../helpers/linkauth.ts'
import { mesh, server, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, count, nothing, rawUser, rogueServer, signed } from './_attack.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const OTHER_KEY = ATTACKER_KEY + 1

/** An introducer with bob and a second server with alice; DMs between them prove the mesh works. */
async function scene() {
  const [intro, a] = await mesh(1)
  const alice = await user(a!, 'alice', 0)
  const bob = await user(intro!, 'bob', 1)
  await until(() => intro!.ctx.presence.locations.has(alice.userId!), 3_000, 'alice seen at the introducer')
  const works = async (what: string) => {
    const got = bob.next('dm', (m) => m.text === what)
    await alice.tell('bob', what)
    expect((await got).fromName).toBe('alice')
    const back = alice.next('dm', (m) => m.text === `re: ${what}`)
    await bob.tell('alice', `re: ${what}`)
    expect((await back).fromName).toBe('bob')
  }
  return { intro: intro!, a: a!, alice, bob, works }
}

/**
 * A rogue linked to `a` as a mesh member, so it receives what every member receives from `a`:
 * a's SERVER_HELLO_LINK (a replayable hello: its `sig` covers only {host, port, pubkey}) and a's
 * presence frames. Nothing reaches it relayed: servers relay nothing (PROTOCOL.md §4).
 */
async function capturingScene() {
  const intro = await server()
  const a = await server({ peers: [intro] })
  await until(() => intro.ctx.peers.has(a.serverId()), 3_000, 'a linked')
  const rogue = await rogueServer(a)
  const announce = rogue.peer.frames.find((f) => f.type === 'SERVER_HELLO_LINK' && f.from === a.serverId())!
  const bob = await user(intro, 'bob', 1)
  return { intro, a, rogue, announce, bob }
}

describe('rogue servers', () => {
  test('a join reusing a known server id with another key gets a fresh id; the pin and link stay', async () => {
    const { intro, a, works } = await scene()
    const pinned = intro.ctx.store.servers.get(a.serverId())
    const link = intro.ctx.peers.get(a.serverId())
    const k = await testKey(ATTACKER_KEY)
    const c = await connect(intro.url)
    c.send(
      await signed(k, {
        type: 'SERVER_HELLO_JOIN',
        from: a.serverId(),
        to: `127.0.0.1:${intro.port}`,
        payload: { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH },
      }),
    )
    // It proves the key it carries (anyone can make a key), under the id it claims.
    await prove(c, k, a.serverId())
    const welcome = await c.next('SERVER_WELCOME')
    expect(welcome.payload.assigned_id).toMatch(UUID_V4)
    expect(welcome.payload.assigned_id).not.toBe(a.serverId())
    expect(intro.ctx.store.servers.get(a.serverId())).toEqual(pinned)
    expect(intro.ctx.peers.get(a.serverId())).toBe(link)
    expect(intro.ctx.peers.addrs.get(a.serverId())).toEqual({ host: '127.0.0.1', port: a.port })
    await works('after a hostile join')
  })

  test('an announce or hello-link that re-keys a known id is refused and not relayed', async () => {
    const { intro, a, works } = await scene()
    const rogue = await rogueServer(intro)
    const observer = await rogueServer(intro, OTHER_KEY)
    const pinned = intro.ctx.store.servers.get(a.serverId())
    const link = intro.ctx.peers.get(a.serverId())
    const k = await testKey(ATTACKER_KEY + 2)
    const evil = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki }
    await rogue.send('SERVER_ANNOUNCE', evil, { from: a.serverId(), signer: k })
    const direct = await connect(intro.url)
    direct.send(
      await signed(k, { type: 'SERVER_HELLO_LINK', from: a.serverId(), to: intro.serverId(), payload: evil }),
    )
    await nothing(direct, 'SERVER_HELLO_LINK', 300)
    await nothing(observer.peer, 'SERVER_ANNOUNCE', 100, (f) => f.from === a.serverId())
    expect(intro.ctx.store.servers.get(a.serverId())).toEqual(pinned)
    expect(intro.ctx.peers.addrs.get(a.serverId())).toEqual({ host: '127.0.0.1', port: a.port })
    expect(intro.ctx.peers.get(a.serverId())).toBe(link)
    expect(link?.closed).toBe(false)
    await works('after a re-key attempt')
  })

  test('frames claiming another server but signed by the wrong key are dropped, not relayed', async () => {
    const { intro, a, alice, works } = await scene()
    const rogue = await rogueServer(intro)
    const observer = await rogueServer(intro, OTHER_KEY)
    const bobRaw = await rawUser(intro, 'bobby', 2)
    const as = { from: a.serverId() }
    const directoryBefore = intro.ctx.store.directory.all()
    const ghost = randomUUID()
    await rogue.send('USER_REMOVE', { user_id: alice.userId!, server_id: a.serverId() }, as)
    await rogue.send(
      'USER_ADVERTISE',
      { user_id: ghost, server_id: a.serverId(), pubkey: rogue.key.publicKey.spki, meta: {} },
      as,
    )
    await rogue.send(
      'DIRECTORY_ENTRY',
      {
        user_id: ghost,
        username: 'ghost',
        pubkey: rogue.key.publicKey.spki,
        server_id: a.serverId(),
        created: 1,
      },
      as,
    )
    const ct = encrypt(bobRaw.key.publicKey, utf8('forged'))
    const ts = Date.now()
    await rogue.send(
      'SERVER_DELIVER',
      {
        user_id: bobRaw.id,
        sender: alice.userId!,
        inner_type: 'MSG_DIRECT',
        ciphertext: b64uEncode(ct),
        sender_pub: (await testKey(0)).publicKey.spki,
        content_sig: await signContent(
          (await testKey(0)).privateKey,
          dmPreimage(ct, alice.userId!, bobRaw.id, ts),
        ),
      },
      { ...as, to: intro.serverId(), ts },
    )
    await rogue.send('HEARTBEAT', {}, as)
    await nothing(bobRaw.peer, 'USER_DELIVER', 300)
    expect(intro.ctx.presence.locations.get(alice.userId!)).toBe(a.serverId())
    expect(intro.ctx.presence.locations.has(ghost)).toBe(false)
    expect(intro.ctx.store.directory.all()).toEqual(directoryBefore)
    const relayed = observer.peer.frames.filter((f) => f.from === a.serverId() && f.type !== 'HEARTBEAT')
    expect(relayed.map((f) => f.type)).toEqual([])
    await works('after forged frames')
  })

  test('a forged USER_ADVERTISE or DIRECTORY_ENTRY cannot move a user to the attacker', async () => {
    const { intro, a, alice, works } = await scene()
    const rogue = await rogueServer(intro, ATTACKER_KEY, { announce: true })
    const aliceKey = (await testKey(0)).publicKey.spki
    const entry = intro.ctx.store.directory.byId(alice.userId!)!
    const moved = {
      user_id: alice.userId!,
      server_id: rogue.id,
      pubkey: aliceKey,
      meta: { display_name: 'alice' },
    }
    await rogue.send('USER_ADVERTISE', moved)
    // The key is public; only the home server may speak for the user, and the home never changes.
    await rogue.send('DIRECTORY_ENTRY', {
      user_id: alice.userId!,
      username: 'alice',
      pubkey: aliceKey,
      server_id: rogue.id,
      created: entry.created,
    })
    await rogue.send('USER_ADVERTISE', moved)
    await Bun.sleep(300)
    expect(intro.ctx.store.directory.byId(alice.userId!)).toEqual(entry)
    expect(a.ctx.store.directory.byId(alice.userId!)).toEqual(entry)
    expect(intro.ctx.presence.locations.get(alice.userId!)).toBe(a.serverId())
    await works('after a forged move')
    expect(count(rogue.peer, 'SERVER_DELIVER')).toBe(0)
  })

  test('a back-dated DIRECTORY_ENTRY cannot take a username from its owner', async () => {
    const { intro, a, alice, bob } = await scene()
    const rogue = await rogueServer(intro, ATTACKER_KEY, { announce: true })
    const spki = rogue.key.publicKey.spki
    const before = { intro: intro.ctx.store.directory.all(), a: a.ctx.store.directory.all() }
    // A back-dated claim on a held name: both users stay, the owner loses nothing (PROTOCOL.md §6).
    for (const [name, id] of [
      ['alice', randomUUID()],
      ['bob', randomUUID()],
    ] as const) {
      await rogue.send('DIRECTORY_ENTRY', {
        user_id: id,
        username: name,
        pubkey: spki,
        server_id: rogue.id,
        created: 1,
      })
      await rogue.send('USER_ADVERTISE', {
        user_id: id,
        server_id: rogue.id,
        pubkey: spki,
        meta: { display_name: name, pubkey: spki },
      })
    }
    await Bun.sleep(300)
    const after = intro.ctx.store.directory.all()
    for (const e of before.intro) expect(after).toContainEqual(e)
    expect(after.length).toBe(before.intro.length + 2)
    // Nothing is relayed: the other server never heard of the claims.
    expect(a.ctx.store.directory.all()).toEqual(before.a)
    expect((await bob.list()).some((u) => u.userId === alice.userId)).toBe(true)
    // The client refuses the shared name with the candidates (PROTOCOL.md §6); by id, alice gets it.
    await expect(bob.tell('alice', 'to whom?')).rejects.toThrow(/ambiguous/)
    const got = alice.next('dm', (m) => m.text === 'by id')
    await bob.tell(alice.userId!, 'by id')
    expect((await got).fromName).toBe('bob')
  })

  test('forged channel updates cannot add strangers or push the version out of range; /all never needs wraps', async () => {
    const { intro, a, alice, bob, works } = await scene()
    const rogue = await rogueServer(intro)
    const observer = await rogueServer(intro, OTHER_KEY)
    const members = intro.ctx.store.channel.members()
    const v = intro.ctx.store.channel.version()
    const junk = b64uEncode(new Uint8Array(512).fill(7))
    const strangers = Array.from({ length: 50 }, () => ({ member_id: randomUUID(), wrapped_key: junk }))
    await rogue.send('PUBLIC_CHANNEL_UPDATED', {
      version: v + 1,
      wraps: [
        { member_id: alice.userId!, wrapped_key: junk },
        { member_id: bob.userId!, wrapped_key: junk },
        ...strangers,
      ],
    })
    await rogue.send('PUBLIC_CHANNEL_UPDATED', { version: Number.MAX_SAFE_INTEGER, wraps: [] })
    await rogue.send('PUBLIC_CHANNEL_ADD', { add: [rogue.id], if_version: Number.MAX_SAFE_INTEGER - 1 })
    const share = {
      shares: [{ member: alice.userId!, wrapped_public_channel_key: junk }],
      creator_pub: rogue.key.publicKey.spki,
      content_sig: junk,
    }
    await rogue.send('PUBLIC_CHANNEL_KEY_SHARE', share, { from: a.serverId() })
    await Bun.sleep(300)
    // Any server may re-wrap for known members (spec-notes §11), so junk wraps for alice and bob
    // are stored; strangers are not.
    expect(
      intro.ctx.store.channel
        .members()
        .map((m) => m.memberId)
        .sort(),
    ).toEqual(members.map((m) => m.memberId).sort())
    expect(intro.ctx.store.channel.version()).toBeLessThan(v + 1_000_000)
    expect(count(observer.peer, 'PUBLIC_CHANNEL_KEY_SHARE', (f) => f.from === a.serverId())).toBe(0)
    // The channel keeps counting joins, and /all still reaches members.
    const before = intro.ctx.store.channel.version()
    await user(intro, 'carol', 2)
    expect(intro.ctx.store.channel.version()).toBe(before + 1)
    const got = bob.next('public', (m) => m.text === 'hello all')
    await alice.list()
    await alice.all('hello all')
    expect((await got).fromName).toBe('alice')
    await works('after forged channel updates')
  })

  test('a forged SERVER_DELIVER is not delivered: content signed by the wrong key or a foreign sender_pub', async () => {
    const { intro, alice, works } = await scene()
    const rogue = await rogueServer(intro)
    const bob = await rawUser(intro, 'bobby', 2)
    const from = alice.userId!
    const to = intro.serverId()
    const r = rogue.key
    const deliver = async (inner: Record<string, unknown>, ts = Date.now()) =>
      rogue.send('SERVER_DELIVER', { user_id: bob.id, sender: from, ...inner }, { to, ts })
    const ts = Date.now()
    const ct = encrypt(bob.key.publicKey, utf8('forged'))
    const sig = await signContent(r.privateKey, dmPreimage(ct, from, bob.id, ts))
    const alicePub = (await testKey(0)).publicKey.spki
    const dmInner = { inner_type: 'MSG_DIRECT', ciphertext: b64uEncode(ct), content_sig: sig }
    await deliver({ ...dmInner, sender_pub: alicePub }, ts)
    await deliver({ ...dmInner, sender_pub: r.publicKey.spki }, ts + 1)
    await deliver({
      inner_type: 'FILE_START',
      file_id: randomUUID(),
      name: 'x',
      size: 1,
      sha256: '0'.repeat(64),
      mode: 'dm',
      chunks: 1,
      sender_pub: alicePub,
      content_sig: sig,
    })
    await deliver({
      inner_type: 'MSG_PUBLIC_CHANNEL',
      user_id: 'public',
      sender_pub: alicePub,
      items: [{ member_id: bob.id, ciphertext: b64uEncode(ct), content_sig: sig }],
    })
    await nothing(bob.peer, 'USER_DELIVER', 300)
    expect(count(bob.peer, 'FILE_START') + count(bob.peer, 'MSG_PUBLIC_CHANNEL')).toBe(0)
    await works('after forged deliveries')
  })

  test('errors, unknown types and junk from a server are never answered: no ERROR storm can start', async () => {
    const { intro, works } = await scene()
    const rogue = await rogueServer(intro)
    const frames = []
    for (let i = 0; i < 100; i++) {
      frames.push(
        await rogue.frame('ERROR', { code: 'UNKNOWN_TYPE', detail: `reply ${i}` }, { to: intro.serverId() }),
      )
    }
    for (const type of ['PING', 'ERROR_REPLY', 'NACK', 'USER_HELLO', 'MSG_DIRECT', 'AUTH_HELLO']) {
      frames.push(await rogue.frame(type, {}, { to: intro.serverId() }))
    }
    for (const f of frames) rogue.peer.send(f)
    for (const t of ['{', 'null', '[]', '"ERROR"', '{"type":"ERROR"}', '{"type":"ERROR","payload":1}'])
      rogue.peer.sendText(t)
    rogue.peer.send({ ...frames[0]!, sig: frames[1]!.sig })
    await nothing(rogue.peer, 'ERROR', 600)
    expect(rogue.peer.frames.filter((f) => f.type !== 'HEARTBEAT').map((f) => f.type)).not.toContain('ERROR')
    expect(intro.ctx.peers.get(rogue.id)?.closed).toBe(false)
    await works('after an error storm attempt')
  })

  test('a captured SERVER_ANNOUNCE replayed as a hello cannot take over a live server link', async () => {
    const { intro, a, announce, bob } = await capturingScene()
    const alice = await user(a, 'alice', 0)
    await until(() => intro.ctx.presence.locations.has(alice.userId!), 3_000, 'alice seen')
    const link = intro.ctx.peers.get(a.serverId())!
    // `sig` covers only {host, port, pubkey}: the announce is also a valid SERVER_HELLO_LINK from a.
    const hijack = await connect(intro.url)
    hijack.send({ ...announce, type: 'SERVER_HELLO_LINK', to: intro.serverId(), ts: Date.now() })
    // The hello verifies, so it is challenged; the hijacker cannot sign the nonce as a.
    const challenge = await hijack.next('SERVER_CHALLENGE')
    const n = challenge.payload.nonce
    const proof = { nonce: n, server_id: a.serverId(), peer_id: intro.serverId(), challenge: n }
    hijack.send({ ...announce, type: 'SERVER_PROOF', payload: proof })
    expect((await hijack.closed).code).toBe(4003)
    expect(intro.ctx.peers.get(a.serverId())).toBe(link)
    expect(link.closed).toBe(false)
    const got = alice.next('dm', (m) => m.text === 'not via the hijacker')
    await bob.tell('alice', 'not via the hijacker')
    await got
    expect(count(hijack, 'SERVER_DELIVER')).toBe(0)
  })

  test('a captured presence frame replayed with a forged ts cannot knock a user offline', async () => {
    const { intro, a, rogue: relay, bob } = await capturingScene()
    // No server relays presence (PROTOCOL.md §4), so the attacker captures a's own USER_REMOVE on
    // a link to a (a plain peer: our servers' PRESENCE_BATCH never goes to it), then replays it
    // to intro on its link there.
    const rogue = await rogueServer(a, ATTACKER_KEY + 3)
    await until(() => a.ctx.peers.has(rogue.id), 3_000, 'the spy linked to a')
    const first = await user(a, 'alice', 0)
    const id = first.userId!
    await until(() => intro.ctx.presence.locations.has(id), 3_000, 'alice online')
    await first.close()
    const isRemove = (f: { type: string; payload: Record<string, unknown> }) =>
      f.type === 'USER_REMOVE' && f.payload.user_id === id
    await until(() => rogue.peer.frames.some(isRemove), 3_000, 'the removal captured')
    const removal = rogue.peer.frames.find(isRemove)!
    const alice = await connectUser(a)
    await alice.login('alice', PASSWORD)
    await until(() => intro.ctx.presence.locations.get(id) === a.serverId(), 3_000, 'alice back')
    // `ts` is not signed: a day ahead, the old removal would also outrank every later advertise.
    relay.peer.send({ ...removal, ts: Date.now() + 86_400_000 })
    await Bun.sleep(300)
    expect(intro.ctx.presence.locations.get(id)).toBe(a.serverId())
    const got = alice.next('dm', (m) => m.text === 'still online')
    await bob.tell('alice', 'still online')
    await got
  })

  test('a member’s gossip reaches local users but is never relayed to other servers nor echoed back', async () => {
    const { intro, a } = await scene()
    const observer = await rogueServer(intro, ATTACKER_KEY + 2)
    const rogue = await rogueServer(intro, ATTACKER_KEY, { announce: true })
    const watcher = await rawUser(intro, 'watcher', 2)
    const u = randomUUID()
    const spki = (await testKey(OTHER_KEY)).publicKey.spki
    await rogue.send('USER_ADVERTISE', {
      user_id: u,
      server_id: rogue.id,
      pubkey: spki,
      meta: { display_name: 'ursula' },
    })
    await until(() => intro.ctx.presence.locations.get(u) === rogue.id, 3_000, 'the advertise applied')
    // Local users hear it in a presence batch (docs/wire.md §14), named from the directory.
    const listsU = (f: { payload: Record<string, unknown> }) =>
      (f.payload.online as { user_id: string }[]).some((x) => x.user_id === u)
    await until(() => count(watcher.peer, 'USER_PRESENCE', listsU) === 1, 3_000)
    await nothing(observer.peer, 'USER_ADVERTISE', 300, (f) => f.payload.user_id === u)
    await nothing(rogue.peer, 'USER_ADVERTISE', 100, (f) => f.payload.user_id === u)
    expect(count(observer.peer, 'SERVER_ANNOUNCE', (f) => f.from === rogue.id)).toBe(0)
    expect(count(rogue.peer, 'SERVER_ANNOUNCE', (f) => f.from === rogue.id)).toBe(0)
    expect(a.ctx.store.servers.get(rogue.id)).toBeNull()
    expect(a.ctx.presence.locations.has(u)).toBe(false)
  })
})
