/**
 * @module Clients posing as servers (issue 5): a user link that sends server frames, admin or
 * diagnostic frames of any name, or tries to turn itself into a server link. Every one is
 * UNKNOWN_TYPE, changes nothing, and disconnects nobody.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import type { ServerHandle } from '../../src/server/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH, prove } from '../helpers/linkauth.ts'
import { server } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, dm, nothing, rawUser, signed } from './_attack.ts'

/** Everything an attacker could hope to change, as comparable values. */
function state(s: ServerHandle) {
  return {
    localUsers: [...s.ctx.presence.local.keys()].sort(),
    locations: [...s.ctx.presence.locations].sort(),
    peers: [...s.ctx.peers.keys()].sort(),
    servers: s.ctx.store.servers.all().map((x) => `${x.serverId}@${x.host}:${x.port}`),
    directory: s.ctx.store.directory.all().map((e) => `${e.userId}:${e.username}@${e.serverId}`),
    channel: { version: s.ctx.store.channel.version(), members: s.ctx.store.channel.members().length },
    users: s.ctx.store.users.count(),
  }
}

describe('clients posing as servers', () => {
  test('server, admin and diagnostic frames on a user link are UNKNOWN_TYPE and change nothing', async () => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    const bob = await user(s, 'bob', 1)
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    const k = mallory.key
    const a = alice.userId!
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki }
    const spki = k.publicKey.spki
    // Realistic payloads, correctly signed by mallory: only the link kind should stop them.
    const payloads: Record<string, Record<string, unknown>> = {
      USER_ADVERTISE: {
        user_id: a,
        server_id: mallory.id,
        pubkey: spki,
        meta: { display_name: 'alice', pubkey: spki },
      },
      USER_REMOVE: { user_id: a, server_id: s.serverId() },
      SERVER_ANNOUNCE: hello,
      SERVER_HELLO_JOIN: hello,
      SERVER_HELLO_LINK: hello,
      SERVER_WELCOME: { assigned_id: mallory.id, servers: [], clients: [], pubkey: spki },
      SERVER_DELIVER: {
        user_id: a,
        sender: mallory.id,
        inner_type: 'MSG_DIRECT',
        ciphertext: 'AAAA',
        sender_pub: spki,
        content_sig: 'AAAA',
      },
      DIRECTORY_ENTRY: { user_id: a, username: 'alice', pubkey: spki, server_id: mallory.id, created: 0 },
      PUBLIC_CHANNEL_ADD: { add: [mallory.id], if_version: 1_000_000 },
      PUBLIC_CHANNEL_UPDATED: { version: 1_000_000, wraps: [{ member_id: a, wrapped_key: 'AAAA' }] },
      PUBLIC_CHANNEL_KEY_SHARE: { shares: [], creator_pub: spki, content_sig: 'AAAA' },
      USER_DELIVER: { ciphertext: 'AAAA', sender: mallory.id, sender_pub: spki, content_sig: 'AAAA' },
      AUTH_OK: {
        user_id: a,
        username: 'alice',
        pubkey: spki,
        privkey_store: 'AAAA',
        nonce: 'AAAA',
        server_ts: 0,
      },
      USER_LIST: { users: [] },
      ADMIN: { command: 'shutdown' },
      ADMIN_KICK: { user_id: a },
      KICK: { user_id: a },
      SHUTDOWN: {},
      DEBUG: { dump: true },
      DUMP_STATE: {},
      SET_ROLE: { user_id: mallory.id, role: 'admin' },
      EVAL: { code: 'process.exit(1)' },
      constructor: {},
      hasOwnProperty: {},
      user_hello: {},
    }
    // As an object key `__proto__` would set the prototype, so it goes in separately.
    const types = [...Object.keys(payloads), '__proto__']
    const before = state(s)
    for (const type of types) {
      mallory.peer.send(
        await signed(k, {
          type,
          from: mallory.id,
          to: s.serverId(),
          payload: Object.hasOwn(payloads, type) ? payloads[type]! : {},
        }),
      )
      const e = await mallory.peer.next('ERROR')
      expect({ type, code: e.payload.code }).toEqual({ type, code: 'UNKNOWN_TYPE' })
    }
    expect(state(s)).toEqual(before)
    // Nobody was disconnected: mallory is still bound, alice still receives.
    expect(s.ctx.presence.local.get(mallory.id)?.closed).toBe(false)
    const got = alice.next('dm')
    await bob.tell('alice', 'still here?')
    expect((await got).text).toBe('still here?')
    mallory.peer.send(await dm(mallory, { id: a, key: await testKey(0) }, 'and me'))
    expect((await alice.next('dm')).fromName).toBe('mallory')
  })

  test('a link is a user link for life: no later frame turns it into a server link', async () => {
    const s = await server()
    const k = await testKey(ATTACKER_KEY)
    const hello = { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki }
    const id = randomUUID()
    // A first frame that is a user frame (here: a server frame a user may not send) fixes the kind.
    const c = await connect(s.url)
    c.send(
      await signed(k, { type: 'USER_ADVERTISE', from: id, to: '*', payload: { user_id: id, server_id: id } }),
    )
    expect((await c.next('ERROR')).payload.code).toBe('UNKNOWN_TYPE')
    c.send(await signed(k, { type: 'SERVER_HELLO_LINK', from: id, to: s.serverId(), payload: hello }))
    expect((await c.next('ERROR')).payload.code).toBe('UNKNOWN_TYPE')
    await nothing(c, 'SERVER_HELLO_LINK', 200)
    expect(s.ctx.peers.size).toBe(0)
    expect(s.ctx.store.servers.get(id)).toBeNull()
    // A logged-in user cannot switch either.
    const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
    mallory.peer.send(await signed(k, { type: 'SERVER_HELLO_JOIN', from: id, to: 'x:1', payload: hello }))
    expect((await mallory.peer.next('ERROR')).payload.code).toBe('UNKNOWN_TYPE')
    await nothing(mallory.peer, 'SERVER_WELCOME', 200)
    expect(s.ctx.peers.size).toBe(0)
    expect(s.ctx.store.servers.all()).toEqual([])
  })

  test('a server link cannot speak user frames: they are dropped, never answered', async () => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    const k = await testKey(ATTACKER_KEY)
    const id = serverIdFor(k.publicKey.spki)
    const c = await connect(s.url)
    c.send(
      await signed(k, {
        type: 'SERVER_HELLO_LINK',
        from: id,
        to: s.serverId(),
        payload: { host: '127.0.0.1', port: 9, pubkey: k.publicKey.spki, ...AUTH },
      }),
    )
    await prove(c, k, id)
    await c.next('SERVER_HELLO_LINK')
    const a = { id: alice.userId!, key: await testKey(0) }
    c.send(await dm({ id, key: k }, a, 'user frame on a server link'))
    c.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: 'alice' } })
    c.send({ type: 'LIST', from: id, to: s.serverId(), ts: Date.now(), payload: {} })
    await nothing(c, 'ERROR', 300)
    expect(c.frames.some((f) => f.type === 'AUTH_CHALLENGE' || f.type === 'USER_LIST')).toBe(false)
    expect(s.ctx.peers.has(id)).toBe(true)
  })
})
