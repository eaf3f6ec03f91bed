/**
 * @module Server-to-server interop with other SOCP v1.3 implementations (PROTOCOL.md §3–§4, spec-notes
 * §17, docs/interop.md). The other implementation is simulated from raw WebSockets: keys as
 * base64url(PEM), transport signatures over spaced JSON with a 32-byte PSS salt, users advertised
 * with the key only in `meta.pubkey`, SERVER_DELIVER keyed by `type`, and WELCOMEs with
 * `assigned_id: null`, the server list named `clients` and the key under `server_pub`.
 */

import { expect, test } from 'bun:test'
import {
  b64uDecode,
  b64uEncode,
  decrypt,
  fromUtf8,
  importPublicKey,
  utf8,
  verifyDm,
  verifyPayload,
} from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { server, type TestServer, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect, type RawPeer } from '../helpers/ws.ts'
import { type Foreign, foreign, foreignDm, frame, listen } from './_foreign.ts'

// Test-key indices: 30–39 belong to this folder.
const ALICE_KEY = 33
/** A foreign server never sends a heartbeat in these tests, so the link must outlive the test. */
/** Other implementations cannot answer SERVER_CHALLENGE: the operator allows them (PROTOCOL.md §4). */
const PATIENT = { linkTimeoutMs: 30_000, allowLegacyPeers: true }

/** Checks a frame our server signed: canonical bytes only, never a lenient variant (PROTOCOL.md §3.1). */
function signedByUs(s: ServerHandle, f: { payload: unknown; sig?: string }): boolean {
  return verifyPayload(importPublicKey(s.ctx.me.pubkey), f.payload, f.sig ?? '', false)
}

/** Our server with one logged-in user, joined by foreign server `fx` hosting user `zed`. */
async function foreignJoined() {
  const ours = await server(PATIENT)
  const alice = await user(ours, 'alice', ALICE_KEY)
  const alicePub = (await testKey(ALICE_KEY)).publicKey.spki
  const fx = await foreign(30)
  const zed = await foreign(31)
  const peer = await connect(ours.url)
  peer.send(
    frame(fx, 'SERVER_HELLO_JOIN', `127.0.0.1:${ours.port}`, {
      host: '127.0.0.1',
      port: 1,
      pubkey: fx.pemB64u,
    }),
  )
  const welcome = await peer.next('SERVER_WELCOME')
  await until(() => ours.ctx.peers.has(fx.id), 5_000, 'the foreign link')
  return { ours, alice, alicePub, fx, zed, peer, welcome }
}

/** `fx` advertises `who` with the key only in `meta.pubkey`, as raw PEM text. */
async function advertise(ours: TestServer, peer: RawPeer, fx: Foreign, who: Foreign, name: string) {
  peer.send(
    frame(fx, 'USER_ADVERTISE', '*', {
      user_id: who.id,
      server_id: fx.id,
      meta: { display_name: name, pubkey: who.pem },
    }),
  )
  await until(() => ours.ctx.presence.locations.get(who.id) === fx.id, 5_000, `${name} located`)
}

test('a foreign server joins our introducer with a PEM key, spaced JSON and a 32-byte PSS salt', async () => {
  const { ours, alicePub, alice, fx, peer, welcome } = await foreignJoined()

  // Our WELCOME: keeps its UUID, lists our user with her key, signed canonically with our key.
  expect(welcome.from).toBe(ours.serverId())
  expect(welcome.to).toBe(fx.id)
  expect(welcome.payload.assigned_id).toBe(fx.id)
  expect(welcome.payload.pubkey).toBe(ours.ctx.me.pubkey)
  expect(welcome.payload.servers).toEqual([])
  expect(welcome.payload.clients).toEqual([
    { user_id: alice.userId, server_id: ours.serverId(), pubkey: alicePub, meta: { display_name: 'alice' } },
  ])
  expect(signedByUs(ours, welcome)).toBe(true)
  // The PEM key is pinned in its one canonical form (base64url DER SPKI).
  expect(ours.ctx.store.servers.get(fx.id)?.pubkey).toBe(fx.key.publicKey.spki)

  // The resync after the link forms: alice's presence, key in `pubkey` and `meta.pubkey`.
  const adv = await peer.next('USER_ADVERTISE')
  expect(adv.from).toBe(ours.serverId())
  expect(adv.payload).toEqual({
    user_id: alice.userId,
    server_id: ours.serverId(),
    pubkey: alicePub,
    meta: { display_name: 'alice', username: 'alice', pubkey: alicePub },
  })
  expect(signedByUs(ours, adv)).toBe(true)
})

test('a joiner that says from "auto" and to "*" (the seed) gets a fresh UUID', async () => {
  const ours = await server(PATIENT)
  const fx = await foreign(30, 'auto')
  const peer = await connect(ours.url)
  const hello = frame(fx, 'SERVER_HELLO_JOIN', '*', {
    host: '127.0.0.1',
    port: 1,
    pubkey: fx.key.publicKey.spki,
    ws_uri: `ws://127.0.0.1:${ours.port}`,
  })
  peer.send(hello)
  const welcome = await peer.next('SERVER_WELCOME')
  const id = welcome.payload.assigned_id as string
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  expect(welcome.to).toBe(id)
  await until(() => ours.ctx.peers.has(id), 5_000, 'the link under the assigned id')
})

test('a user advertised with the key only in meta.pubkey is online for our users', async () => {
  const { ours, alice, fx, zed, peer } = await foreignJoined()
  await advertise(ours, peer, fx, zed, 'zed')
  const online = await alice.list()
  expect(online).toContainEqual({
    userId: zed.id,
    username: 'zed',
    serverId: fx.id,
    pubkey: zed.key.publicKey.spki,
  })
})

test('SERVER_DELIVER keyed by `type` brings a foreign DM to our user, and her reply goes back', async () => {
  const { ours, alice, alicePub, fx, zed, peer } = await foreignJoined()
  await advertise(ours, peer, fx, zed, 'zed')

  const ts = Date.now()
  const dm = foreignDm(
    zed,
    { id: alice.userId!, pub: alicePub },
    'hello from another implementation',
    ts,
    'raw',
  )
  const got = alice.next('dm')
  peer.send(
    frame(
      fx,
      'SERVER_DELIVER',
      ours.serverId(),
      { user_id: alice.userId, sender: zed.id, ...dm, type: 'MSG_DIRECT' },
      ts,
    ),
  )
  const m = await got
  expect(m).toMatchObject({ from: zed.id, fromName: 'zed', text: 'hello from another implementation', ts })

  // The reply: SERVER_DELIVER with `inner_type`, the original ts, canonical sig, spec preimage.
  await alice.tell(zed.id, 'hello back')
  const d = await peer.next('SERVER_DELIVER')
  expect(d.from).toBe(ours.serverId())
  expect(d.to).toBe(fx.id)
  expect(signedByUs(ours, d)).toBe(true)
  const p = d.payload as Record<string, string>
  expect(p).toMatchObject({
    inner_type: 'MSG_DIRECT',
    user_id: zed.id,
    sender: alice.userId,
    sender_pub: alicePub,
  })
  const fields = {
    ciphertext: p.ciphertext!,
    from: alice.userId!,
    to: zed.id,
    ts: d.ts,
    content_sig: p.content_sig!,
  }
  expect(verifyDm(importPublicKey(alicePub), fields, false)).toBe(true)
  expect(fromUtf8(await decrypt(zed.key.privateKey, b64uDecode(p.ciphertext!)))).toBe('hello back')
})

test('our server passes on a SHA-256-prehash DM and stops a forged one', async () => {
  const { ours, alice, alicePub, fx, zed, peer } = await foreignJoined()
  await advertise(ours, peer, fx, zed, 'zed')
  const to = { id: alice.userId!, pub: alicePub }
  const deliver = (dm: ReturnType<typeof foreignDm>, ts: number) =>
    peer.send(
      frame(
        fx,
        'SERVER_DELIVER',
        ours.serverId(),
        { user_id: to.id, sender: zed.id, ...dm, type: 'MSG_DIRECT' },
        ts,
      ),
    )

  // Forged: signed by zed, but for another recipient. Our server checks it against zed's
  // directory key (leniently) and drops it, so alice hears nothing at all.
  const heard: string[] = []
  alice.on('dm', (e) => heard.push(`dm ${e.text}`))
  alice.on('error', (e) => heard.push(`error ${e.detail}`))
  const t1 = Date.now()
  const forged = foreignDm(zed, to, 'forged', t1, 'sha256-prehash')
  deliver(
    { ...forged, content_sig: foreignDm(zed, { id: zed.id, pub: alicePub }, 'x', t1, 'raw').content_sig },
    t1,
  )
  await Bun.sleep(300)
  expect(heard).toEqual([])

  // Prehashed: our server accepts it (PROTOCOL.md §3.2) and hands it to alice's client, which
  // either shows it or reports the drop; see the next test for which.
  const t2 = Date.now() + 1
  deliver(foreignDm(zed, to, 'prehashed', t2, 'sha256-prehash'), t2)
  await until(() => heard.length > 0, 5_000, 'the prehashed DM at alice')
  expect(heard[0]).toBe('dm prehashed')
})

// PROTOCOL.md §3.2: the recipient's client accepts the DM signature variants other
// implementations produce (src/client/messages.ts `openDirect`).
test('our user sees a DM whose content_sig is over SHA-256 of the preimage', async () => {
  const { ours, alice, alicePub, fx, zed, peer } = await foreignJoined()
  await advertise(ours, peer, fx, zed, 'zed')
  const ts = Date.now()
  const dm = foreignDm(zed, { id: alice.userId!, pub: alicePub }, 'prehashed', ts, 'sha256-prehash')
  const got = alice.next('dm', () => true, 2_000)
  peer.send(
    frame(
      fx,
      'SERVER_DELIVER',
      ours.serverId(),
      { user_id: alice.userId, sender: zed.id, ...dm, type: 'MSG_DIRECT' },
      ts,
    ),
  )
  expect((await got).text).toBe('prehashed')
})

// PROTOCOL.md §3.2: a user whose server advertises no key (the seed's USER_ADVERTISE is
// {user_id, server_id}) is pinned to the first `sender_pub` seen (src/server/mesh/gossip.ts).
test('a DM from a user whose server advertised no key reaches our user', async () => {
  const { ours, alice, alicePub, fx, zed, peer } = await foreignJoined()
  peer.send(frame(fx, 'USER_ADVERTISE', '*', { user_id: zed.id, server_id: fx.id }))
  await Bun.sleep(200)
  const ts = Date.now()
  const dm = foreignDm(zed, { id: alice.userId!, pub: alicePub }, 'no key advertised', ts, 'raw')
  const got = alice.next('dm', () => true, 2_000)
  peer.send(
    frame(
      fx,
      'SERVER_DELIVER',
      ours.serverId(),
      { user_id: alice.userId, sender: zed.id, ...dm, inner_type: 'MSG_DIRECT' },
      ts,
    ),
  )
  expect((await got).text).toBe('no key advertised')
})

test('HEARTBEAT and ERROR from a foreign server are never answered', async () => {
  const { ours, fx, peer } = await foreignJoined()
  const before = peer.frames.length
  peer.send(frame(fx, 'HEARTBEAT', ours.serverId(), { now: Math.floor(Date.now() / 1000) }))
  peer.send(
    frame(fx, 'ERROR', ours.serverId(), { code: 'UNKNOWN_TYPE', detail: 'Unhandled type DIRECTORY_ENTRY' }),
  )
  peer.send(frame(fx, 'NOT_A_SOCP_TYPE', ours.serverId(), {}))
  await Bun.sleep(400)
  expect(peer.frames.slice(before).filter((f) => f.type === 'ERROR')).toEqual([])
  expect(ours.ctx.peers.has(fx.id)).toBe(true)
})

test('we join a foreign introducer: assigned_id null, servers listed as `clients`, key as `server_pub`', async () => {
  const intro = await foreign(34)
  const third = await foreign(35)
  const thirdL = listen((f) =>
    f.type === 'SERVER_HELLO_LINK'
      ? [
          frame(third, 'SERVER_HELLO_LINK', f.from, {
            host: '127.0.0.1',
            port: thirdL.port,
            pubkey: third.pemB64u,
          }),
        ]
      : [],
  )
  const introL = listen((f) =>
    f.type === 'SERVER_HELLO_JOIN'
      ? [
          frame(intro, 'SERVER_WELCOME', f.from, {
            assigned_id: null,
            clients: [
              { server_id: third.id, host: '127.0.0.1', port: String(thirdL.port), pubkey: third.pemB64u },
            ],
            server_pub: intro.pemB64u,
          }),
        ]
      : [],
  )
  const ours = await server({ ...PATIENT, peers: [{ port: introL.port } as ServerHandle] })

  // Our join: to "host:port", our own id kept, signed canonically with the key it carries.
  const join = await introL.next('SERVER_HELLO_JOIN')
  expect(join.from).toBe(ours.serverId())
  expect(join.to).toBe(`127.0.0.1:${introL.port}`)
  // The spec's three fields, plus what other implementations ignore: `auth` (docs/wire.md §10) and
  // the capability list (docs/wire.md §14).
  expect(join.payload).toEqual({
    host: '127.0.0.1',
    port: ours.port,
    pubkey: ours.ctx.me.pubkey,
    auth: 'v1',
    caps: ['presence-batch'],
  })
  expect(signedByUs(ours, join)).toBe(true)

  // assigned_id null: our id stays; the introducer's PEM key is pinned as DER SPKI.
  await until(() => ours.ctx.peers.has(intro.id) && ours.ctx.peers.has(third.id), 5_000, 'links to both')
  expect(ours.serverId()).toBe(join.from)
  expect(ours.ctx.store.servers.get(intro.id)?.pubkey).toBe(intro.key.publicKey.spki)
  expect(ours.ctx.store.servers.get(third.id)).toMatchObject({
    host: '127.0.0.1',
    port: thirdL.port,
    pubkey: third.key.publicKey.spki,
  })

  // The server listed under `clients` got our SERVER_HELLO_LINK; the introducer our ANNOUNCE.
  const link = await thirdL.next('SERVER_HELLO_LINK')
  expect(link).toMatchObject({ from: ours.serverId(), to: third.id })
  expect(link.payload).toEqual({
    host: '127.0.0.1',
    port: ours.port,
    pubkey: ours.ctx.me.pubkey,
    auth: 'v1',
    caps: ['presence-batch'],
  })
  expect(signedByUs(ours, link)).toBe(true)
  const announce = await introL.next('SERVER_ANNOUNCE')
  expect(announce.payload).toEqual({
    host: '127.0.0.1',
    port: ours.port,
    pubkey: ours.ctx.me.pubkey,
    auth: 'v1',
  })
  expect(signedByUs(ours, announce)).toBe(true)

  // Frames the introducer signs its way verify here: a user keyed by `pubkey_b64u`.
  const zoe = await foreign(36)
  introL.send(
    frame(intro, 'USER_ADVERTISE', '*', {
      user_id: zoe.id,
      server_id: intro.id,
      pubkey_b64u: b64uEncode(utf8(zoe.pem)),
    }),
  )
  await until(
    () => ours.ctx.presence.locations.get(zoe.id) === intro.id,
    5_000,
    'zoe located at the introducer',
  )
})

test('we join an introducer whose WELCOME has no lists at all (the seed)', async () => {
  const intro = await foreign(34)
  const introL = listen((f) =>
    f.type === 'SERVER_HELLO_JOIN'
      ? [
          frame(intro, 'SERVER_WELCOME', f.from, {
            server_id: intro.id,
            server_pub: intro.key.publicKey.spki,
            snapshot: { user_locations: {} },
            assigned_id: null,
          }),
        ]
      : [],
  )
  const ours = await server({ ...PATIENT, peers: [{ port: introL.port } as ServerHandle] })
  await until(() => ours.ctx.peers.has(intro.id), 5_000, 'the link to the introducer')
  expect(ours.ctx.peers.size).toBe(1)
})
