/**
 * @module Issue 10 "a server must survive any frame": every server-to-server frame type, each field
 * replaced by hostile values (bad hosts and ports, huge numbers, wrong types, prototype keys, other
 * servers' ids, oversized strings), correctly signed by a mesh member and also sent by strangers as
 * a first frame, to every server of a 3-server mesh. All three stay alive, keep their links, pin no
 * bad address, and still deliver a DM across the mesh afterwards.
 */

import { expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { isHost, SERVER_TO_SERVER_TYPES } from '../../src/protocol/index.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH } from '../helpers/linkauth.ts'
import { mesh, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { ATTACKER_KEY, type Frame, type Rogue, rogueServer, signed } from './_attack.ts'

const HOSTILE: unknown[] = [
  '',
  'x:y',
  '[::1]',
  -1,
  0,
  65_536,
  Number.MAX_SAFE_INTEGER,
  -(2 ** 31),
  null,
  [],
  { __proto__: { polluted: true } },
  JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
  'A'.repeat(5_000),
  '../../../../etc/passwd\u0000',
]

function bases(pub: string, ids: string[]): Record<string, Record<string, unknown>> {
  const [u, s, t] = [randomUUID(), ids[0]!, ids[1]!]
  const hello = { host: '127.0.0.1', port: 9, pubkey: pub, ...AUTH }
  return {
    SERVER_HELLO_JOIN: hello,
    SERVER_HELLO_LINK: hello,
    SERVER_ANNOUNCE: hello,
    SERVER_WELCOME: {
      assigned_id: s,
      servers: [{ server_id: t, host: '127.0.0.1', port: 9, pubkey: pub }],
      clients: [{ user_id: u, server_id: s, pubkey: pub, meta: { display_name: 'zed' } }],
      pubkey: pub,
    },
    SERVER_CHALLENGE: { nonce: 'A'.repeat(43), server_id: s, pubkey: pub },
    SERVER_PROOF: { nonce: 'A'.repeat(43), server_id: s, peer_id: t, challenge: 'B'.repeat(43) },
    USER_ADVERTISE: { user_id: u, server_id: s, pubkey: pub, meta: { display_name: 'zed', pubkey: pub } },
    USER_REMOVE: { user_id: u, server_id: s },
    PRESENCE_BATCH: { server_id: s, online: [{ user_id: u, username: 'zed', pubkey: pub }], offline: [u] },
    DIRECTORY_ENTRY: { user_id: u, username: 'zed', pubkey: pub, server_id: s, created: Date.now() },
    SERVER_DELIVER: {
      user_id: u,
      ciphertext: 'AAAA',
      sender: u,
      sender_pub: pub,
      content_sig: 'AAAA',
      inner_type: 'MSG_DIRECT',
    },
    PUBLIC_CHANNEL_ADD: { add: [u], if_version: 1 },
    PUBLIC_CHANNEL_UPDATED: { version: 1, wraps: [{ member_id: u, wrapped_key: 'AAAA' }] },
    PUBLIC_CHANNEL_KEY_SHARE: {
      shares: [{ member: u, wrapped_public_channel_key: 'AAAA' }],
      creator_pub: pub,
      content_sig: 'AAAA',
    },
    HEARTBEAT: {},
    ACK: { msg_ref: 'x' },
    ERROR: { code: 'UNKNOWN_TYPE', detail: 'x' },
  }
}

/** Every (type, field, hostile value) variant of the base payloads; `self` = the sender's id. */
function variants(base: Record<string, Record<string, unknown>>): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = []
  for (const [type, payload] of Object.entries(base)) {
    out.push([type, payload])
    for (const field of Object.keys(payload))
      for (const v of HOSTILE) out.push([type, { ...payload, [field]: v }])
  }
  return out
}

test('every server frame type with hostile field values: three servers live, linked and delivering', async () => {
  const servers = await mesh(2)
  const ids = servers.map((s) => s.serverId())
  const alice = await user(servers[2]!, 'alice', 0)
  const bob = await user(servers[0]!, 'bob', 1)
  await until(() => servers[0]!.ctx.presence.locations.has(alice.userId!), 3_000, 'alice seen')
  // CTRL_CLOSE ends the sender's own link, legitimately; everything else must be survived.
  expect(new Set([...Object.keys(bases('k', ids)), 'CTRL_CLOSE'])).toEqual(new Set(SERVER_TO_SERVER_TYPES))
  const rogues: Rogue[] = []
  for (const [i, s] of servers.entries()) rogues.push(await rogueServer(s, ATTACKER_KEY + i))
  const k = await testKey(ATTACKER_KEY + 5)
  await Promise.all(
    rogues.map(async (r, i) => {
      const all = variants(bases(r.key.publicKey.spki, [r.id, ...ids]))
      const frames: Frame[] = []
      for (const [type, payload] of all) {
        frames.push(await r.frame(type, payload, { to: ids[i]! }))
        // The same, claiming to come from an honest server of the mesh.
        if (frames.length % 7 === 0) frames.push(await r.frame(type, payload, { from: ids[(i + 1) % 3]! }))
      }
      for (const f of frames) r.peer.send(f)
      // Strangers: each variant of a hello as a first frame.
      const hellos = all.filter(([t]) => t.startsWith('SERVER_HELLO') || t === 'SERVER_ANNOUNCE').slice(0, 40)
      await Promise.all(
        hellos.map(async ([type, payload]) => {
          const c = await connect(servers[i]!.url)
          c.send(await signed(k, { type, from: randomUUID(), to: ids[i]!, payload }))
        }),
      )
      return frames.length
    }),
  )
  await Bun.sleep(1_500)
  for (const s of servers) {
    expect((await fetch(`http://127.0.0.1:${s.port}/health`)).status).toBe(200)
    for (const id of ids) if (id !== s.serverId()) expect(s.ctx.peers.has(id)).toBe(true)
    for (const p of s.ctx.store.servers.all()) expect(isHost(p.host)).toBe(true)
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  const got = bob.next('dm', (m) => m.text === 'after the hostile fields')
  await alice.tell('bob', 'after the hostile fields')
  expect((await got).fromName).toBe('alice')
}, 120_000)
