/**
 * @module Malformed input (issue 5): more than 10,000 mutated and random frames — truncated JSON,
 * wrong types, huge numbers, deep nesting, invalid base64, valid envelopes with garbage payloads —
 * over user links (before and after login) and server links, from many sockets at once. The
 * server never crashes or throws, answers every undecodable user frame with exactly one ERROR,
 * never answers an ERROR or anything from a server with an ERROR, and a real DM sent during and
 * after the barrage arrives. Seeded, so a failure reproduces.
 */

import { expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { ERROR_CODES } from '../../src/errors.ts'
import { testKey } from '../helpers/keys.ts'
import { server, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect, type RawPeer } from '../helpers/ws.ts'
import {
  ATTACKER_KEY,
  count,
  dm,
  type Frame,
  fileFrames,
  publicFrame,
  type RawUser,
  rawUser,
  rogueServer,
  signed,
} from './_attack.ts'

const SEED = Number(process.env.SOCP_FUZZ_SEED ?? 0x5eed)
/** Marker planted in string values: an ERROR detail must never echo it. */
const MARK = '\u001b]0;FUZZ\u0007'

/** mulberry32: small, fast, seeded. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  return { next, int, pick }
}
type Rng = ReturnType<typeof rng>

const nest = (n: number, open = '[', close = ']') => `${open.repeat(n)}${close.repeat(n)}`
const EVIL: readonly unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  -0,
  1e308,
  2 ** 64,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  MARK,
  'x'.repeat(5000),
  '!!!!not base64!!!!',
  '====',
  'a',
  '\ud800',
  '../../../etc/passwd',
  '__proto__',
  [],
  [1, 'two', null],
  {},
  { __proto__: { polluted: true } },
  JSON.parse(nest(20)),
  JSON.parse(`{"a":${'{"a":'.repeat(25)}1${'}'.repeat(25)}}`),
]
const TEXT_JUNK: readonly string[] = [
  '',
  ' ',
  'null',
  '[]',
  '"ERROR"',
  '123',
  'true',
  '{',
  '}',
  nest(40),
  nest(5000),
  nest(40, '{"a":', '}'),
  '{"type":"LIST","from":"","to":"","ts":1e999,"payload":{}}',
  '{"type":"LIST","from":"","to":"","ts":123456789012345678901234567890,"payload":{}}',
  '{"type":"LIST","type":"MSG_DIRECT","from":"","to":"","ts":1,"payload":{}}',
  '{"__proto__":{"type":"LIST"},"from":"","to":"","ts":1,"payload":{}}',
  '\ufeff{"type":"LIST"}',
  `{"type":"${'A'.repeat(65)}","from":"","to":"","ts":1,"payload":{}}`,
]

/** A fresh copy each time, so a mutation never plants one shared object inside itself. */
const evil = (r: Rng): unknown => structuredClone(r.pick(EVIL))

function mutateValue(r: Rng, obj: Record<string, unknown>): void {
  const target =
    r.next() < 0.6 && typeof obj.payload === 'object' && obj.payload
      ? (obj.payload as Record<string, unknown>)
      : obj
  const keys = Object.keys(target)
  const op = r.int(4)
  if (op === 0 && keys.length > 0) delete target[r.pick(keys)]
  else if (op === 1) target[r.pick(['id', 'relay', 'x', MARK, 'constructor', 'payload', 'sig'])] = evil(r)
  else if (keys.length > 0) target[r.pick(keys)] = evil(r)
}

/** One fuzzed frame from a base frame: structural, textual or wholesale mutations. */
function mutate(r: Rng, base: Frame, types: readonly string[]): string | Uint8Array {
  const text = JSON.stringify(base)
  switch (r.int(10)) {
    case 0:
      return text.slice(0, r.int(text.length))
    case 1: {
      const i = r.int(text.length)
      return `${text.slice(0, i)}${String.fromCharCode(r.int(0x80))}${text.slice(i + 1)}`
    }
    case 2:
      return r.pick(TEXT_JUNK)
    case 3:
      return new Uint8Array([0x7b, 0xff, 0xfe, 0x22, r.int(256), 0x7d])
    case 4:
      return JSON.stringify({ ...base, type: r.pick(types) })
    case 5:
      return JSON.stringify({ ...base, [r.pick(['sig', 'from', 'to', 'ts', 'type'])]: evil(r) })
    default: {
      const copy = JSON.parse(text) as Record<string, unknown>
      for (let n = 1 + r.int(3); n > 0; n--) mutateValue(r, copy)
      return JSON.stringify(copy)
    }
  }
}

/** Frames that can never decode: each must get exactly one ERROR (PROTOCOL.md §5). */
function undecodable(r: Rng, base: Frame): string {
  const text = JSON.stringify(base)
  switch (r.int(4)) {
    case 0:
      return text.slice(0, 1 + r.int(text.length - 1))
    case 1:
      return r.pick(['null', '[]', '"x"', '42', nest(40), nest(3000), '{"a":', '\u0000'])
    case 2:
      return JSON.stringify({ ...base, ts: r.pick([-1, 1.5, '1', null, 2 ** 64]) })
    default:
      return JSON.stringify({ ...base, payload: r.pick([null, [], 'x', 7]) })
  }
}

/** ERROR-typed garbage: never answered, whatever its shape. */
function errorJunk(r: Rng): string {
  return r.pick([
    '{"type":"ERROR"}',
    '{"type":"ERROR","from":"","to":"","ts":1,"payload":null}',
    `{"type":"ERROR","from":"","to":"","ts":-5,"payload":{"code":${JSON.stringify(MARK)}}}`,
    `{"type":"ERROR","from":"","to":"","ts":1,"payload":{"code":${r.int(100)},"detail":[]}}`,
    '{"type":"ERROR","from":"","to":"","ts":1,"payload":{"code":"X","detail":"y"},"sig":"!!"}',
    '{"type":"ERROR","from":"","to":"","ts":1,"payload":{"code":"USER_NOT_FOUND","detail":"x"}}',
  ])
}

function blast(peer: RawPeer, frames: (string | Uint8Array)[]): void {
  for (const f of frames) peer.ws.send(f)
}

function errorsOf(peer: RawPeer) {
  return peer.frames
    .filter((f) => f.type === 'ERROR')
    .map((f) => f.payload as { code: string; detail: string })
}

test('10,000+ mutated and random frames over user and server links: no crash, errors as specified, DMs still arrive', async () => {
  const r = rng(SEED)
  const s = await server()
  const logged: string[] = []
  const logError = s.ctx.log.error
  s.ctx.log.error = (msg, fields) => {
    logged.push(msg)
    logError(msg, fields)
  }
  const alice = await user(s, 'alice', 0)
  const bob = await user(s, 'bob', 1)
  const k = await testKey(ATTACKER_KEY)
  const sink = await rawUser(s, 'sink', 2)
  const fuzzers: RawUser[] = []
  for (let i = 0; i < 3; i++) fuzzers.push(await rawUser(s, `fuzz${i}`, ATTACKER_KEY + 1 + i))
  const rogues = [await rogueServer(s, ATTACKER_KEY), await rogueServer(s, ATTACKER_KEY + 4)]

  // --- base frames ---
  const id = randomUUID()
  const reg = {
    username: 'fuzzreg',
    pubkey: k.publicKey.spki,
    privkey_store: 'AAAA',
    kdf: { name: 'scrypt', salt: 'A'.repeat(22), N: 2 ** 15, r: 8, p: 1 },
    auth_key: 'AAAA',
  }
  const preLogin: Frame[] = [
    await signed(k, { type: 'USER_REGISTER', from: id, to: '', payload: reg }),
    { type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: 'alice' } },
    { type: 'LIST', from: id, to: '', ts: Date.now(), payload: {} },
    { type: 'HEARTBEAT', from: id, to: '', ts: Date.now(), payload: {} },
    await dm({ id, key: k }, sink, 'pre-login'),
  ]
  const bound = async (u: RawUser): Promise<Frame[]> => [
    await dm(u, sink, 'fuzz'),
    await publicFrame(u, [sink], 'fuzz all'),
    ...(await fileFrames(u, sink, new Uint8Array(600), { name: 'f.bin' })),
    { type: 'LIST', from: u.id, to: s.serverId(), ts: Date.now(), payload: {} },
  ]
  const serverBases = async (g: (typeof rogues)[number]): Promise<Frame[]> => {
    const uid = randomUUID()
    return [
      await g.frame('USER_ADVERTISE', {
        user_id: uid,
        server_id: g.id,
        pubkey: k.publicKey.spki,
        meta: { display_name: 'zed' },
      }),
      await g.frame('DIRECTORY_ENTRY', {
        user_id: uid,
        username: 'zed',
        pubkey: k.publicKey.spki,
        server_id: g.id,
        created: Date.now(),
      }),
      await g.frame('USER_REMOVE', { user_id: uid, server_id: g.id }),
      await g.frame('PUBLIC_CHANNEL_UPDATED', { version: 1, wraps: [] }),
      await g.frame('SERVER_ANNOUNCE', { host: '127.0.0.1', port: 9, pubkey: g.key.publicKey.spki }),
      await g.frame('ERROR', { code: 'BAD_REQUEST', detail: 'x' }),
      await g.frame('HEARTBEAT', {}),
      {
        ...(await dm({ id: uid, key: k }, sink, 'via server')),
        type: 'SERVER_DELIVER',
        from: g.id,
        to: s.serverId(),
      },
    ]
  }
  const userTypes = [
    'USER_REGISTER',
    'AUTH_HELLO',
    'USER_HELLO',
    'MSG_DIRECT',
    'MSG_PUBLIC_CHANNEL',
    'FILE_START',
    'FILE_CHUNK',
    'FILE_END',
    'LIST',
    'HEARTBEAT',
    'ACK',
    'SERVER_DELIVER',
    'USER_ADVERTISE',
    'NOPE',
  ]
  const serverTypes = [
    'SERVER_HELLO_JOIN',
    'SERVER_WELCOME',
    'SERVER_HELLO_LINK',
    'SERVER_ANNOUNCE',
    'USER_ADVERTISE',
    'USER_REMOVE',
    'DIRECTORY_ENTRY',
    'SERVER_DELIVER',
    'PUBLIC_CHANNEL_ADD',
    'PUBLIC_CHANNEL_UPDATED',
    'PUBLIC_CHANNEL_KEY_SHARE',
    'HEARTBEAT',
    'ACK',
    'ERROR',
    'MSG_DIRECT',
    'NOPE',
  ]

  // --- the barrage: many sockets, each within its burst allowance, all at once ---
  const PER_LINK = 500
  const randomLinks = await Promise.all(Array.from({ length: 10 }, () => connect(s.url)))
  const countedLinks = await Promise.all(Array.from({ length: 4 }, () => connect(s.url)))
  const errorLink = await connect(s.url)
  const plan: [RawPeer, (string | Uint8Array)[]][] = []
  for (const p of randomLinks) {
    // A fixed first frame makes it a user link, so a mutation cannot turn it into a server link.
    plan.push([
      p,
      ['{}', ...Array.from({ length: PER_LINK - 1 }, () => mutate(r, r.pick(preLogin), userTypes))],
    ])
  }
  for (const p of countedLinks)
    plan.push([p, Array.from({ length: PER_LINK }, () => undecodable(r, r.pick(preLogin)))])
  plan.push([errorLink, Array.from({ length: PER_LINK }, () => errorJunk(r))])
  for (const u of fuzzers) {
    const bases = await bound(u)
    plan.push([u.peer, Array.from({ length: 400 }, () => mutate(r, r.pick(bases), userTypes))])
  }
  for (const g of rogues) {
    const bases = await serverBases(g)
    plan.push([g.peer, Array.from({ length: 1_500 }, () => mutate(r, r.pick(bases), serverTypes))])
  }
  const total = plan.reduce((n, [, fs]) => n + fs.length, 0)
  expect(total).toBeGreaterThanOrEqual(10_000)

  const during = bob.next('dm', (m) => m.text === 'during the storm', 20_000)
  for (const [peer, frames] of plan) blast(peer, frames)
  await alice.tell('bob', 'during the storm')
  await during

  // Every undecodable user frame gets exactly one ERROR, in order; nothing else is sent.
  await until(
    () => countedLinks.every((p) => count(p, 'ERROR') >= PER_LINK),
    20_000,
    'an ERROR for every undecodable frame',
  )
  await Bun.sleep(300)
  for (const p of countedLinks) {
    expect(p.frames.length).toBe(PER_LINK)
    expect(new Set(errorsOf(p).map((e) => e.code))).toEqual(new Set(['BAD_REQUEST']))
  }
  // Never an ERROR for an ERROR; never an ERROR to a server.
  expect(errorLink.frames).toEqual([])
  for (const g of rogues) {
    expect(count(g.peer, 'ERROR')).toBe(0)
    expect(s.ctx.peers.get(g.id)?.closed).toBe(false)
  }
  // Every answer is a well-formed ERROR with a known code that echoes nothing it was sent.
  const answers = [...randomLinks, ...countedLinks, ...fuzzers.map((u) => u.peer)].flatMap(errorsOf)
  expect(answers.length).toBeGreaterThan(PER_LINK * countedLinks.length)
  for (const e of answers) {
    expect(ERROR_CODES as readonly string[]).toContain(e.code)
    expect(e.code).not.toBe('INTERNAL')
    expect(e.detail).not.toContain('FUZZ')
  }
  expect(logged).toEqual([])

  // After: the server answers /health, and a real DM still arrives.
  const health = await fetch(`http://127.0.0.1:${s.port}/health`)
  expect(health.status).toBe(200)
  const after = bob.next('dm', (m) => m.text === 'after the storm')
  await alice.tell('bob', 'after the storm')
  await after
})
