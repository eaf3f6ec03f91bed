/** @module Lenient server-link reading: other implementations' shapes normalise to one, rawPayload stays as sent. */

import { describe, expect, test } from 'bun:test'
import {
  decode,
  type LinkKind,
  ServerDeliverWireSchema,
  ServerWelcomeWireSchema,
  UserAdvertiseWireSchema,
} from '../../src/protocol/index.ts'
import {
  ALICE,
  BOB,
  ct,
  FILE_ID,
  json,
  pub,
  SERVER,
  SERVER_TO_SERVER,
  SERVER2,
  SHA,
  sig,
  type Wire,
} from './_fixtures.ts'

const S = SERVER_TO_SERVER
const frameWith = (base: Wire, payload: Record<string, unknown>): Wire => ({ ...base, payload })

function payloadOf(wire: Wire, kind: LinkKind = 'serverToServer') {
  const r = decode(json(wire), kind)
  if (!r.ok) throw new Error(r.error.detail)
  // Signatures are verified over the payload exactly as received: same keys, same order.
  expect(JSON.stringify(r.rawPayload)).toBe(JSON.stringify(wire.payload))
  return r.frame.payload
}

const KEY_S1 = pub(50)
const KEY_U = pub(51)
const s1 = { server_id: SERVER, host: '10.0.0.1', port: 12345, pubkey: KEY_S1 }
const user = { user_id: ALICE, server_id: SERVER, pubkey: KEY_U, meta: { display_name: 'alice' } }
const serverEntry = { server_id: SERVER, host: '10.0.0.1', port: 12345, pubkey: KEY_S1 }
const userEntry = { user_id: ALICE, server_id: SERVER, pubkey: KEY_U, display_name: 'alice' }

describe('SERVER_WELCOME variants', () => {
  const welcome = (payload: Record<string, unknown>) => frameWith(S.SERVER_WELCOME!, payload)
  test.each([
    [
      'ours: servers + clients(users)',
      { assigned_id: SERVER2, servers: [s1], clients: [user] },
      SERVER2,
      [serverEntry],
      [userEntry],
    ],
    ['Group 56: servers only', { assigned_id: SERVER2, servers: [s1] }, SERVER2, [serverEntry], []],
    [
      'Group 43: clients with server entries',
      { assigned_id: SERVER2, clients: [s1] },
      SERVER2,
      [serverEntry],
      [],
    ],
    [
      'spec text: clients keyed by user_id with host/port',
      { assigned_id: SERVER2, clients: [{ user_id: SERVER, host: '10.0.0.1', port: 12345, pubkey: KEY_S1 }] },
      SERVER2,
      [serverEntry],
      [],
    ],
    [
      'Group 12: servers + clients as users with host/port',
      {
        assigned_id: SERVER2,
        servers: [s1],
        clients: [{ user_id: ALICE, host: '10.0.0.1', port: 12345, pubkey: KEY_U }],
      },
      SERVER2,
      [serverEntry],
      [{ ...userEntry, server_id: null, display_name: null }],
    ],
    ['assigned_id null', { assigned_id: null, servers: [s1] }, null, [serverEntry], []],
    [
      'assigned_id missing, port as a string',
      { servers: [{ ...s1, port: '12345' }] },
      null,
      [serverEntry],
      [],
    ],
    ['no lists at all', { assigned_id: SERVER2 }, SERVER2, [], []],
  ])('%s', (_name, payload, assigned, servers, users) => {
    const p = payloadOf(welcome(payload))
    expect(p).toMatchObject({ assigned_id: assigned, servers, users, dropped: 0 })
  })

  test.each([
    ['pubkey', { pubkey: KEY_S1 }],
    ['server_pub', { server_pub: KEY_S1 }],
  ])('introducer key under %s', (_name, extra) => {
    expect(payloadOf(welcome({ assigned_id: SERVER2, servers: [], ...extra }))).toMatchObject({
      pubkey: KEY_S1,
    })
  })

  test('unusable entries are dropped and counted, the rest still join', () => {
    const p = payloadOf(
      welcome({ assigned_id: SERVER2, servers: [s1, { host: 'x' }, 7], clients: [{ nope: 1 }] }),
    )
    expect(p).toMatchObject({ servers: [serverEntry], users: [], dropped: 3 })
  })

  test('a non-UUID assigned_id is refused, not adopted', () => {
    const r = decode(json(welcome({ assigned_id: 'AUTO', servers: [s1] })), 'serverToServer')
    expect(r.ok ? 'ok' : r.error.code).toBe('BAD_REQUEST')
  })

  test('what we send is valid wire and reads back as itself', () => {
    // The introducer's key rides under both names (src/server/mesh/bootstrap.ts `onHelloJoin`).
    const ours = {
      assigned_id: SERVER2,
      servers: [s1],
      clients: [user],
      pubkey: KEY_S1,
      server_pub: KEY_S1,
      caps: ['presence-batch'],
    }
    expect(ServerWelcomeWireSchema.safeParse(ours).success).toBe(true)
    expect(ServerWelcomeWireSchema.safeParse({ ...ours, pubkey: undefined }).success).toBe(false)
    expect(payloadOf(welcome(ours))).toMatchObject({
      servers: [serverEntry],
      users: [userEntry],
      caps: ['presence-batch'],
    })
  })
})

describe('USER_ADVERTISE key locations', () => {
  const adv = (payload: Record<string, unknown>) => frameWith(S.USER_ADVERTISE!, payload)
  const base = { user_id: ALICE, server_id: SERVER }
  test.each([
    [
      'payload.pubkey (ours)',
      { ...base, pubkey: KEY_U, meta: { display_name: 'alice', pubkey: pub(99) } },
      KEY_U,
      'alice',
    ],
    ['meta.pubkey (Groups 56, 43)', { ...base, meta: { pubkey: KEY_U, username: 'alice' } }, KEY_U, 'alice'],
    ['pubkey_b64u (Group 12)', { ...base, pubkey_b64u: KEY_U, meta: {} }, KEY_U, null],
    ['meta.name (Group 12)', { ...base, pubkey: KEY_U, meta: { name: 'Zed' } }, KEY_U, 'zed'],
    [
      'a label that is no username gives way to the next',
      { ...base, pubkey: KEY_U, meta: { display_name: 'Zed Smith', username: 'zed_s', name: 'zed' } },
      KEY_U,
      'zed_s',
    ],
    ['no usable label', { ...base, pubkey: KEY_U, meta: { display_name: 'a b', name: 'x' } }, KEY_U, null],
    ['enc_pubkey', { ...base, enc_pubkey: KEY_U }, KEY_U, null],
    ['empty pubkey falls through to meta', { ...base, pubkey: '', meta: { pubkey: KEY_U } }, KEY_U, null],
    [
      'raw PEM key',
      { ...base, pubkey: '-----BEGIN PUBLIC KEY-----\nMIIC\n-----END PUBLIC KEY-----\n' },
      '-----BEGIN PUBLIC KEY-----\nMIIC\n-----END PUBLIC KEY-----\n',
      null,
    ],
    ['no key at all', { ...base, meta: { display_name: 42 } }, null, null],
    ['meta null', { ...base, pubkey: KEY_U, meta: null }, KEY_U, null],
  ])('%s', (_name, payload, pubkey, display) => {
    expect(payloadOf(adv(payload))).toEqual({
      user_id: ALICE,
      server_id: SERVER,
      pubkey,
      display_name: display,
    })
  })

  test('the same normalisation applies when relayed to a client', () => {
    const wire = { ...adv({ ...base, meta: { pubkey: KEY_U } }), to: BOB }
    expect(payloadOf(wire, 'serverToClient')).toMatchObject({ pubkey: KEY_U })
  })

  test('what we send is valid wire', () => {
    expect(UserAdvertiseWireSchema.safeParse(S.USER_ADVERTISE!.payload).success).toBe(true)
  })
})

describe('SERVER_DELIVER discriminator', () => {
  const dm = { user_id: BOB, ciphertext: ct(), sender: ALICE, sender_pub: pub(), content_sig: sig() }
  const del = (payload: Record<string, unknown>) => frameWith(S.SERVER_DELIVER!, payload)
  test.each([
    ['inner_type (ours, Group 43)', { ...dm, inner_type: 'MSG_DIRECT' }],
    ['type (Group 56)', { ...dm, type: 'MSG_DIRECT' }],
    ['neither (the spec)', dm],
  ])('%s → MSG_DIRECT', (_name, payload) => {
    expect(payloadOf(del(payload))).toEqual({ ...dm, inner_type: 'MSG_DIRECT' })
  })

  test('a file chunk carried with `type` is a FILE_CHUNK', () => {
    const payload = {
      user_id: BOB,
      sender: ALICE,
      type: 'FILE_CHUNK',
      file_id: FILE_ID,
      index: 0,
      ciphertext: ct(),
    }
    expect(payloadOf(del(payload))).toMatchObject({ inner_type: 'FILE_CHUNK', index: 0 })
  })

  test.each([
    [
      'public batch',
      {
        user_id: 'public',
        inner_type: 'MSG_PUBLIC_CHANNEL',
        sender: ALICE,
        sender_pub: pub(),
        items: [{ member_id: BOB, ciphertext: ct(), content_sig: sig() }],
        ciphertext: '',
        content_sig: '',
      },
    ],
    [
      'file start',
      {
        user_id: BOB,
        inner_type: 'FILE_START',
        sender: ALICE,
        file_id: FILE_ID,
        name: 'a.txt',
        size: 3,
        sha256: SHA,
        mode: 'dm',
        chunks: 1,
        sender_pub: pub(),
        content_sig: sig(),
      },
    ],
    [
      'file end',
      {
        user_id: BOB,
        inner_type: 'FILE_END',
        sender: ALICE,
        file_id: FILE_ID,
        chunks: 1,
        content_sig: sig(),
      },
    ],
    ['dm', { ...dm, inner_type: 'MSG_DIRECT' }],
  ])('our %s is valid wire and decodes', (_name, payload) => {
    expect(ServerDeliverWireSchema.safeParse(payload).success).toBe(true)
    expect(payloadOf(del(payload))).toMatchObject({ inner_type: payload.inner_type })
  })

  test('inner_type wins over type', () => {
    expect(payloadOf(del({ ...dm, inner_type: 'MSG_DIRECT', type: 'FILE_END' }))).toMatchObject({
      inner_type: 'MSG_DIRECT',
    })
  })
})

describe('other leniencies', () => {
  test('PUBLIC_CHANNEL_ADD drops names it cannot route but keeps the version', () => {
    const p = payloadOf(frameWith(S.PUBLIC_CHANNEL_ADD!, { add: ['Dave', ALICE], if_version: 3 }))
    expect(p).toEqual({ add: [ALICE], if_version: 3 })
  })

  test('ERROR without detail reads as detail ""', () => {
    expect(payloadOf(frameWith(S.ERROR!, { code: 'TIMEOUT' }))).toEqual({ code: 'TIMEOUT', detail: '' })
  })

  test('SERVER_HELLO_JOIN from a non-UUID id is left to the introducer to replace', () => {
    const r = decode(json({ ...S.SERVER_HELLO_JOIN!, from: 'auto' }), 'serverToServer')
    expect(r.ok && r.frame.from).toBe('auto')
  })
})
