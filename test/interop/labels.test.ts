/**
 * @module Presence labels of other implementations' users (issue 16): `meta.display_name`, then
 * `meta.username` (Group 43), then `meta.name` (Group 12) — for users with no directory entry
 * only; a name from the home server's signed DIRECTORY_ENTRY is never overridden by an advert.
 */

import { expect, test } from 'bun:test'
import { server, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { foreign, foreignDm, frame } from './_foreign.ts'

// Test-key indices: 30–39 belong to this folder.
const ALICE_KEY = 33
/** Other implementations cannot answer SERVER_CHALLENGE: the operator allows them (PROTOCOL.md §4). */
const PATIENT = { linkTimeoutMs: 30_000, allowLegacyPeers: true }

/** Our server with alice logged in, joined by foreign server `fx` over a raw socket. */
async function joined() {
  const ours = await server(PATIENT)
  const alice = await user(ours, 'alice', ALICE_KEY)
  const fx = await foreign(30)
  const peer = await connect(ours.url)
  peer.send(
    frame(fx, 'SERVER_HELLO_JOIN', `127.0.0.1:${ours.port}`, {
      host: '127.0.0.1',
      port: 1,
      pubkey: fx.pemB64u,
    }),
  )
  await peer.next('SERVER_WELCOME')
  await until(() => ours.ctx.peers.has(fx.id), 5_000, 'the foreign link')
  return { ours, alice, fx, peer }
}

test('a foreign user labelled only by meta.name (Group 12) is listed under that name', async () => {
  const { ours, alice, fx, peer } = await joined()
  const zed = await foreign(34)
  peer.send(
    frame(fx, 'USER_ADVERTISE', '*', {
      user_id: zed.id,
      server_id: fx.id,
      meta: { name: 'Zed', pubkey: zed.pem },
    }),
  )
  await until(() => ours.ctx.presence.locations.get(zed.id) === fx.id, 5_000, 'zed located')
  expect((await alice.list()).find((u) => u.userId === zed.id)?.username).toBe('zed')
})

test('a label that is no username here gives way to meta.username (Group 43)', async () => {
  const { ours, alice, fx, peer } = await joined()
  const yan = await foreign(35)
  const presence = alice.next('presence', (p) => p.userId === yan.id, 5_000)
  peer.send(
    frame(fx, 'USER_ADVERTISE', '*', {
      user_id: yan.id,
      server_id: fx.id,
      meta: { display_name: 'Yan the Great', username: 'yan', pubkey: yan.pem },
    }),
  )
  await until(() => ours.ctx.presence.locations.get(yan.id) === fx.id, 5_000, 'yan located')
  expect((await alice.list()).find((u) => u.userId === yan.id)?.username).toBe('yan')
  // The client's own label, from the advert it was told, agrees.
  expect((await presence).username).toBe('yan')
})

test('a keyless foreign user keeps their meta.name once their first key is pinned', async () => {
  const { ours, alice, fx, peer } = await joined()
  const wes = await foreign(36)
  peer.send(frame(fx, 'USER_ADVERTISE', '*', { user_id: wes.id, server_id: fx.id, meta: { name: 'wes' } }))
  await until(() => ours.ctx.presence.locations.get(wes.id) === fx.id, 5_000, 'wes located')
  const ts = Date.now()
  const dm = foreignDm(
    wes,
    { id: alice.userId!, pub: ours.ctx.store.directory.byId(alice.userId!)!.pubkey },
    'hi',
    ts,
    'raw',
  )
  const got = alice.next('dm', () => true, 5_000)
  peer.send(
    frame(
      fx,
      'SERVER_DELIVER',
      ours.serverId(),
      { user_id: alice.userId, sender: wes.id, ...dm, inner_type: 'MSG_DIRECT' },
      ts,
    ),
  )
  expect((await got).text).toBe('hi')
  expect(ours.ctx.store.directory.byId(wes.id)?.username).toBe('wes')
  expect((await alice.list()).find((u) => u.userId === wes.id)?.username).toBe('wes')
})

test("an advert's labels never override the name in the home server's signed directory entry", async () => {
  const { ours, alice, fx, peer } = await joined()
  const carol = await foreign(37)
  const spki = carol.key.publicKey.spki
  peer.send(
    frame(fx, 'DIRECTORY_ENTRY', '*', {
      user_id: carol.id,
      username: 'carol',
      pubkey: spki,
      server_id: fx.id,
      created: Date.now(),
    }),
  )
  await until(() => ours.ctx.store.directory.byId(carol.id) !== undefined, 5_000, 'carol in the directory')
  peer.send(
    frame(fx, 'USER_ADVERTISE', '*', {
      user_id: carol.id,
      server_id: fx.id,
      pubkey: spki,
      meta: { username: 'mallory', name: 'mallory' },
    }),
  )
  await until(() => ours.ctx.presence.locations.get(carol.id) === fx.id, 5_000, 'carol located')
  expect(ours.ctx.store.directory.byId(carol.id)?.username).toBe('carol')
  expect((await alice.list()).find((u) => u.userId === carol.id)?.username).toBe('carol')
})
