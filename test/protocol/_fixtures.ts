import type { Frame } from '../helpers/ws.ts'

/** @module Realistic wire values and one valid frame of every type, per link direction. */

// A tiny deterministic PRNG so fixtures are stable between runs but still look like real bytes.
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export const ALICE = '3f1c2a9e-8b7d-4c6e-9a1f-0d2e3c4b5a69'
export const BOB = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d'
export const SERVER = 'c0ffee00-1234-4abc-9def-0123456789ab'
export const SERVER2 = '5b2e9d4a-7c1f-4e8b-a3d6-9f0c1b2a3e4d'
export const FILE_ID = 'e4d3c2b1-a098-4765-b432-10fedcba9876'
export const TS = 1764100000123

/** RSA-OAEP-4096 ciphertext / PSS signature: 512 bytes = 683 base64url chars. */
export const ct = (seed = 1) => bytes(512, seed).toString('base64url')
export const sig = (seed = 2) => bytes(512, seed).toString('base64url')
/** base64url(DER SPKI) of an RSA-4096 key: 550 bytes = 734 chars. */
export const pub = (seed = 3) => bytes(550, seed).toString('base64url')
export const SHA = bytes(32, 4).toString('hex')

export type Wire = Frame

const f = (type: string, from: string, to: string, payload: Record<string, unknown>, s = sig(9)): Wire => ({
  type,
  from,
  to,
  ts: TS,
  payload,
  sig: s,
})

const kdf = { name: 'scrypt', salt: bytes(16, 5).toString('base64url'), N: 32768, r: 8, p: 1 }
const items = [
  { member_id: ALICE, ciphertext: ct(11), content_sig: sig(12) },
  { member_id: BOB, ciphertext: ct(13), content_sig: sig(14) },
]
const fileStart = {
  file_id: FILE_ID,
  name: 'report.pdf',
  size: 1337,
  sha256: SHA,
  mode: 'dm',
  chunks: 3,
  sender_pub: pub(),
  content_sig: sig(),
}
const fileChunk = { file_id: FILE_ID, index: 2, ciphertext: ct() }
const fileEnd = { file_id: FILE_ID, chunks: 3, content_sig: sig() }

const shared = {
  HEARTBEAT: f('HEARTBEAT', SERVER, SERVER2, {}),
  ACK: f('ACK', SERVER, ALICE, { msg_ref: 'USER_HELLO' }),
  ERROR: f('ERROR', SERVER, ALICE, { code: 'USER_NOT_FOUND', detail: 'no such user' }),
  CTRL_CLOSE: f('CTRL_CLOSE', SERVER, SERVER2, {}, ''),
}

export const USER_TO_SERVER: Record<string, Wire> = {
  USER_REGISTER: f('USER_REGISTER', ALICE, '', {
    username: 'alice',
    pubkey: pub(),
    privkey_store: bytes(2400, 6).toString('base64url'),
    kdf,
    auth_key: bytes(32, 7).toString('base64url'),
  }),
  AUTH_HELLO: f('AUTH_HELLO', '', '', { login: 'Alice' }, ''),
  AUTH_RESPONSE: f('AUTH_RESPONSE', '', SERVER, { auth_key: bytes(32, 7).toString('base64url') }, ''),
  USER_HELLO: f('USER_HELLO', ALICE, SERVER, {
    client: 'socp-cli/0.1',
    pubkey: pub(),
    enc_pubkey: pub(),
    nonce: bytes(32, 8).toString('base64url'),
  }),
  USER_REKEY: f('USER_REKEY', ALICE, SERVER, {
    privkey_store: bytes(2400, 6).toString('base64url'),
    kdf,
    auth_key: bytes(32, 7).toString('base64url'),
  }),
  MSG_DIRECT: f('MSG_DIRECT', ALICE, BOB, { ciphertext: ct(), sender_pub: pub(), content_sig: sig() }),
  MSG_PUBLIC_CHANNEL: f('MSG_PUBLIC_CHANNEL', ALICE, 'public', { sender_pub: pub(), items }),
  FILE_START: f('FILE_START', ALICE, BOB, fileStart),
  FILE_CHUNK: f('FILE_CHUNK', ALICE, BOB, fileChunk, ''),
  FILE_END: f('FILE_END', ALICE, BOB, fileEnd, ''),
  LIST: f('LIST', ALICE, SERVER, {}),
  USER_LOOKUP: f('USER_LOOKUP', ALICE, SERVER, { user: 'bob' }),
  LOOKUP: f('LOOKUP', ALICE, SERVER, { user: 'bob' }),
  HEARTBEAT: f('HEARTBEAT', ALICE, SERVER, {}),
  ACK: f('ACK', ALICE, SERVER, { msg_ref: 'USER_DELIVER' }),
  ERROR: f('ERROR', ALICE, SERVER, { code: 'INVALID_SIG', detail: 'content_sig failed' }),
  CTRL_CLOSE: f('CTRL_CLOSE', ALICE, SERVER, {}, ''),
}

const serverHello = { host: '10.0.0.2', port: 12345, pubkey: pub(21) }
export const SERVER_TO_SERVER: Record<string, Wire> = {
  SERVER_HELLO_JOIN: f('SERVER_HELLO_JOIN', SERVER2, '10.0.0.1:12345', serverHello),
  SERVER_WELCOME: f('SERVER_WELCOME', SERVER, SERVER2, {
    assigned_id: SERVER2,
    servers: [{ server_id: SERVER, host: '10.0.0.1', port: 12345, pubkey: pub(22) }],
    clients: [{ user_id: ALICE, server_id: SERVER, pubkey: pub(), meta: { display_name: 'alice' } }],
  }),
  SERVER_HELLO_LINK: f('SERVER_HELLO_LINK', SERVER2, SERVER, serverHello),
  SERVER_ANNOUNCE: f('SERVER_ANNOUNCE', SERVER2, '*', serverHello),
  SERVER_CHALLENGE: f(
    'SERVER_CHALLENGE',
    SERVER,
    SERVER2,
    { nonce: bytes(32, 7).toString('base64url'), server_id: SERVER, pubkey: pub(21) },
    '',
  ),
  SERVER_PROOF: f('SERVER_PROOF', SERVER2, SERVER, {
    nonce: bytes(32, 7).toString('base64url'),
    server_id: SERVER2,
    peer_id: SERVER,
    challenge: bytes(32, 8).toString('base64url'),
  }),
  USER_ADVERTISE: f('USER_ADVERTISE', SERVER, '*', {
    user_id: ALICE,
    server_id: SERVER,
    pubkey: pub(),
    meta: { display_name: 'alice', username: 'alice', pubkey: pub() },
  }),
  USER_REMOVE: f('USER_REMOVE', SERVER, '*', { user_id: ALICE, server_id: SERVER }),
  PRESENCE_BATCH: f('PRESENCE_BATCH', SERVER, '*', {
    server_id: SERVER,
    online: [{ user_id: ALICE, username: 'alice', pubkey: pub() }],
    offline: [BOB],
  }),
  DIRECTORY_ENTRY: f('DIRECTORY_ENTRY', SERVER, '*', {
    user_id: ALICE,
    username: 'alice',
    pubkey: pub(),
    server_id: SERVER,
    created: TS - 86_400_000,
  }),
  SERVER_DELIVER: f('SERVER_DELIVER', SERVER, SERVER2, {
    user_id: BOB,
    ciphertext: ct(),
    sender: ALICE,
    sender_pub: pub(),
    content_sig: sig(),
    inner_type: 'MSG_DIRECT',
  }),
  PUBLIC_CHANNEL_ADD: f('PUBLIC_CHANNEL_ADD', SERVER, '*', { add: [ALICE], if_version: 4 }),
  PUBLIC_CHANNEL_UPDATED: f('PUBLIC_CHANNEL_UPDATED', SERVER, '*', {
    version: 5,
    wraps: [{ member_id: ALICE, wrapped_key: ct(31) }],
  }),
  PUBLIC_CHANNEL_KEY_SHARE: f('PUBLIC_CHANNEL_KEY_SHARE', SERVER, '*', {
    shares: [{ member: BOB, wrapped_public_channel_key: ct(32) }],
    creator_pub: pub(22),
    content_sig: sig(),
  }),
  ...shared,
}

export const SERVER_TO_CLIENT: Record<string, Wire> = {
  AUTH_CHALLENGE: f('AUTH_CHALLENGE', SERVER, '', { kdf }),
  AUTH_OK: f('AUTH_OK', SERVER, ALICE, {
    user_id: ALICE,
    username: 'alice',
    pubkey: pub(),
    privkey_store: bytes(2400, 6).toString('base64url'),
    nonce: bytes(32, 8).toString('base64url'),
    server_ts: TS,
  }),
  ACK: shared.ACK,
  ERROR: shared.ERROR,
  USER_ADVERTISE: { ...SERVER_TO_SERVER.USER_ADVERTISE!, to: ALICE },
  USER_REMOVE: SERVER_TO_SERVER.USER_REMOVE!,
  USER_DELIVER: f('USER_DELIVER', SERVER, BOB, {
    ciphertext: ct(),
    sender: ALICE,
    sender_pub: pub(),
    content_sig: sig(),
  }),
  MSG_PUBLIC_CHANNEL: f('MSG_PUBLIC_CHANNEL', ALICE, 'public', { sender: ALICE, sender_pub: pub(), items }),
  FILE_START: f('FILE_START', ALICE, BOB, fileStart),
  FILE_CHUNK: f('FILE_CHUNK', ALICE, BOB, fileChunk, ''),
  FILE_END: f('FILE_END', ALICE, BOB, fileEnd, ''),
  USER_LIST: f('USER_LIST', SERVER, ALICE, {
    users: [
      { user_id: ALICE, username: 'alice', server_id: SERVER, pubkey: pub() },
      { user_id: BOB, username: 'bob', server_id: SERVER2, pubkey: pub(40) },
    ],
  }),
  USER_ENTRY: f('USER_ENTRY', SERVER, ALICE, {
    user_id: BOB,
    username: 'bob',
    server_id: SERVER2,
    pubkey: pub(40),
    online: false,
  }),
  USER_PRESENCE: f('USER_PRESENCE', SERVER, '*', {
    online: [{ user_id: ALICE, username: 'alice', server_id: SERVER, pubkey: pub() }],
    offline: [{ user_id: BOB, server_id: SERVER2 }],
  }),
  PRESENCE_BATCH: SERVER_TO_SERVER.PRESENCE_BATCH!,
  USER_INFO: f('USER_INFO', SERVER, ALICE, {
    user_id: BOB,
    username: 'bob',
    server_id: SERVER2,
    pubkey: pub(40),
  }),
  PUBLIC_CHANNEL_ADD: SERVER_TO_SERVER.PUBLIC_CHANNEL_ADD!,
  PUBLIC_CHANNEL_UPDATED: SERVER_TO_SERVER.PUBLIC_CHANNEL_UPDATED!,
  CTRL_CLOSE: shared.CTRL_CLOSE,
}

/** A frame of `base` with one payload field replaced (or removed when `value` is undefined). */
export function withPayload(base: Wire, key: string, value: unknown): Wire {
  const payload = { ...base.payload }
  if (value === undefined) delete payload[key]
  else payload[key] = value
  return { ...base, payload }
}

export const json = (w: unknown) => JSON.stringify(w)
