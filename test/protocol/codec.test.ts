/** @module decode/encode: every valid frame parses, every malformed one gets the right typed failure. */

import { describe, expect, test } from 'bun:test'
import { z } from 'zod'
import { EnvelopeSchema, UuidOrEmptySchema, UuidSchema } from '../../src/protocol/envelope.ts'
import {
  ServerToClientFrameSchema,
  ServerToServerFrameSchema,
  UserToServerFrameSchema,
} from '../../src/protocol/frames.ts'
import {
  decode,
  encode,
  type LinkKind,
  MAX_SERVER_TO_SERVER_BYTES,
  MAX_USER_TO_SERVER_BYTES,
  SERVER_TO_CLIENT_TYPES,
  SERVER_TO_SERVER_TYPES,
  USER_TO_SERVER_TYPES,
} from '../../src/protocol/index.ts'
import {
  ALICE,
  BOB,
  ct,
  json,
  SERVER,
  SERVER_TO_CLIENT,
  SERVER_TO_SERVER,
  sig,
  USER_TO_SERVER,
  type Wire,
  withPayload,
} from './_fixtures.ts'

const KINDS: [LinkKind, Record<string, Wire>, readonly string[]][] = [
  ['userToServer', USER_TO_SERVER, USER_TO_SERVER_TYPES],
  ['serverToServer', SERVER_TO_SERVER, SERVER_TO_SERVER_TYPES],
  ['serverToClient', SERVER_TO_CLIENT, SERVER_TO_CLIENT_TYPES],
]

describe('every type of every union parses', () => {
  test.each(KINDS)('%s fixtures cover exactly the union', (_kind, fixtures, types) => {
    expect(Object.keys(fixtures).sort()).toEqual([...types].sort())
  })

  const cases = KINDS.flatMap(([kind, fixtures]) =>
    Object.values(fixtures).map((w) => [kind, w.type, w] as const),
  )
  test.each(cases)('%s %s', (kind, type, wire) => {
    const r = decode(json(wire), kind)
    if (!r.ok) throw new Error(`${type}: ${r.error.detail}`)
    expect<string>(r.frame.type).toBe(type)
    expect(r.rawPayload).toEqual(wire.payload)
    // Every byte form a socket can hand us decodes the same.
    const bytes = new TextEncoder().encode(json(wire))
    expect(decode(bytes, kind).ok).toBe(true)
    expect(decode(Buffer.from(bytes), kind).ok).toBe(true)
    expect(decode(bytes.buffer, kind).ok).toBe(true)
  })
})

const U = USER_TO_SERVER
const S = SERVER_TO_SERVER
const big = (n: number) => 'A'.repeat(n)

type Bad = [string, LinkKind, string | Uint8Array, 'BAD_REQUEST' | 'TOO_LARGE' | 'UNKNOWN_TYPE']
const bad: Bad[] = [
  // JSON and shape
  ['malformed JSON', 'userToServer', '{"type":"LIST",', 'BAD_REQUEST'],
  ['empty frame', 'userToServer', '', 'BAD_REQUEST'],
  ['whitespace only', 'userToServer', ' \n ', 'BAD_REQUEST'],
  ['JSON array', 'userToServer', '[1,2]', 'BAD_REQUEST'],
  ['JSON string', 'userToServer', '"LIST"', 'BAD_REQUEST'],
  ['JSON null', 'serverToServer', 'null', 'BAD_REQUEST'],
  ['JSON number', 'serverToClient', '42', 'BAD_REQUEST'],
  ['invalid UTF-8 bytes', 'userToServer', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'BAD_REQUEST'],
  ['two objects in one frame', 'userToServer', `${json(U.LIST)}\n${json(U.LIST)}`, 'BAD_REQUEST'],
  // envelope
  ['missing payload', 'userToServer', json({ ...U.LIST, payload: undefined }), 'BAD_REQUEST'],
  ['payload is an array', 'userToServer', json({ ...U.LIST, payload: [] }), 'BAD_REQUEST'],
  ['missing ts', 'userToServer', json({ ...U.LIST, ts: undefined }), 'BAD_REQUEST'],
  ['ts float 1.5', 'userToServer', json({ ...U.LIST, ts: 1.5 }), 'BAD_REQUEST'],
  ['ts string', 'userToServer', json({ ...U.LIST, ts: '1764100000123' }), 'BAD_REQUEST'],
  ['ts negative', 'userToServer', json({ ...U.LIST, ts: -1 }), 'BAD_REQUEST'],
  [
    'ts beyond MAX_SAFE_INTEGER',
    'userToServer',
    json(U.LIST).replace(/"ts":\d+/, '"ts":9007199254740993'),
    'BAD_REQUEST',
  ],
  ['ts 1e300', 'serverToServer', json(S.HEARTBEAT).replace(/"ts":\d+/, '"ts":1e300'), 'BAD_REQUEST'],
  ['type not a string', 'userToServer', json({ ...U.LIST, type: 7 }), 'BAD_REQUEST'],
  ['sig not base64url', 'serverToServer', json({ ...S.HEARTBEAT, sig: 'a+b/c=' }), 'BAD_REQUEST'],
  ['sig a number', 'serverToServer', json({ ...S.HEARTBEAT, sig: 5 }), 'BAD_REQUEST'],
  // ids
  ['from not a UUID', 'userToServer', json({ ...U.MSG_DIRECT, from: 'alice' }), 'BAD_REQUEST'],
  [
    'from uppercase UUID',
    'userToServer',
    json({ ...U.MSG_DIRECT, from: ALICE.toUpperCase() }),
    'BAD_REQUEST',
  ],
  [
    'to UUID v1',
    'userToServer',
    json({ ...U.MSG_DIRECT, to: 'a8098c1a-f86e-11da-bd1a-00112444be1e' }),
    'BAD_REQUEST',
  ],
  [
    'public message not to "public"',
    'userToServer',
    json({ ...U.MSG_PUBLIC_CHANNEL, to: BOB }),
    'BAD_REQUEST',
  ],
  [
    'file_id uppercase',
    'userToServer',
    json(withPayload(U.FILE_CHUNK!, 'file_id', ALICE.toUpperCase())),
    'BAD_REQUEST',
  ],
  [
    'member_id not a UUID',
    'userToServer',
    json(
      withPayload(U.MSG_PUBLIC_CHANNEL!, 'items', [
        { member_id: 'bob', ciphertext: ct(), content_sig: sig() },
      ]),
    ),
    'BAD_REQUEST',
  ],
  [
    'server frame from non-UUID',
    'serverToServer',
    json({ ...S.USER_REMOVE, from: 'server-1' }),
    'BAD_REQUEST',
  ],
  // payload types and presence
  [
    'missing ciphertext',
    'userToServer',
    json(withPayload(U.MSG_DIRECT!, 'ciphertext', undefined)),
    'BAD_REQUEST',
  ],
  ['ciphertext a number', 'userToServer', json(withPayload(U.MSG_DIRECT!, 'ciphertext', 12)), 'BAD_REQUEST'],
  [
    'ciphertext over 1024 chars',
    'userToServer',
    json(withPayload(U.MSG_DIRECT!, 'ciphertext', big(1028))),
    'BAD_REQUEST',
  ],
  [
    'ciphertext not base64url',
    'userToServer',
    json(withPayload(U.MSG_DIRECT!, 'ciphertext', 'ab+/')),
    'BAD_REQUEST',
  ],
  [
    'user pubkey raw PEM on a user link',
    'userToServer',
    json(withPayload(U.MSG_DIRECT!, 'sender_pub', '-----BEGIN PUBLIC KEY-----\nMII=\n')),
    'BAD_REQUEST',
  ],
  [
    'pubkey over 4096 chars',
    'serverToServer',
    json(withPayload(S.SERVER_ANNOUNCE!, 'pubkey', big(4097))),
    'BAD_REQUEST',
  ],
  [
    'username over 64 chars',
    'userToServer',
    json(withPayload(U.USER_REGISTER!, 'username', 'a'.repeat(65))),
    'BAD_REQUEST',
  ],
  [
    'privkey_store over 16384',
    'userToServer',
    json(withPayload(U.USER_REGISTER!, 'privkey_store', big(16388))),
    'BAD_REQUEST',
  ],
  ['missing nonce', 'userToServer', json(withPayload(U.USER_HELLO!, 'nonce', undefined)), 'BAD_REQUEST'],
  ['0 public items', 'userToServer', json(withPayload(U.MSG_PUBLIC_CHANNEL!, 'items', [])), 'BAD_REQUEST'],
  [
    '33 public items',
    'userToServer',
    json(
      withPayload(
        U.MSG_PUBLIC_CHANNEL!,
        'items',
        Array(33).fill((U.MSG_PUBLIC_CHANNEL!.payload.items as unknown[])[0]),
      ),
    ),
    'BAD_REQUEST',
  ],
  ['chunk index 2.5', 'userToServer', json(withPayload(U.FILE_CHUNK!, 'index', 2.5)), 'BAD_REQUEST'],
  ['chunk index -1', 'userToServer', json(withPayload(U.FILE_CHUNK!, 'index', -1)), 'BAD_REQUEST'],
  ['chunk index "2"', 'userToServer', json(withPayload(U.FILE_CHUNK!, 'index', '2')), 'BAD_REQUEST'],
  [
    'file size beyond MAX_SAFE_INTEGER',
    'userToServer',
    json(withPayload(U.FILE_START!, 'size', 2 ** 53)),
    'BAD_REQUEST',
  ],
  ['file name empty', 'userToServer', json(withPayload(U.FILE_START!, 'name', '')), 'BAD_REQUEST'],
  [
    'file name 256 chars',
    'userToServer',
    json(withPayload(U.FILE_START!, 'name', 'n'.repeat(256))),
    'BAD_REQUEST',
  ],
  [
    'file sha256 uppercase hex',
    'userToServer',
    json(withPayload(U.FILE_START!, 'sha256', 'AB'.repeat(32))),
    'BAD_REQUEST',
  ],
  ['file mode public', 'userToServer', json(withPayload(U.FILE_START!, 'mode', 'public')), 'BAD_REQUEST'],
  [
    'kdf name argon2',
    'userToServer',
    json(withPayload(U.USER_REGISTER!, 'kdf', { name: 'argon2', salt: 'c2FsdA', N: 1, r: 1, p: 1 })),
    'BAD_REQUEST',
  ],
  [
    'ERROR detail over 1024',
    'userToServer',
    json(withPayload(U.ERROR!, 'detail', 'x'.repeat(1025))),
    'BAD_REQUEST',
  ],
  ['port 70000', 'serverToServer', json(withPayload(S.SERVER_HELLO_LINK!, 'port', 70000)), 'BAD_REQUEST'],
  [
    'if_version float',
    'serverToServer',
    json(withPayload(S.PUBLIC_CHANNEL_ADD!, 'if_version', 1.5)),
    'BAD_REQUEST',
  ],
  [
    'DIRECTORY_ENTRY created float',
    'serverToServer',
    json(withPayload(S.DIRECTORY_ENTRY!, 'created', 1.5)),
    'BAD_REQUEST',
  ],
  [
    'SERVER_DELIVER unknown inner_type',
    'serverToServer',
    json(withPayload(S.SERVER_DELIVER!, 'inner_type', 'MSG_PRIVATE')),
    'BAD_REQUEST',
  ],
  // size
  [
    'user frame over 64 KiB',
    'userToServer',
    json(withPayload(U.LIST!, 'pad', big(MAX_USER_TO_SERVER_BYTES))),
    'TOO_LARGE',
  ],
  [
    'user frame of multibyte chars over 64 KiB in bytes',
    'userToServer',
    json(withPayload(U.LIST!, 'pad', 'é'.repeat(33000))),
    'TOO_LARGE',
  ],
  [
    'server frame over 1 MiB',
    'serverToServer',
    json(withPayload(S.HEARTBEAT!, 'pad', big(MAX_SERVER_TO_SERVER_BYTES))),
    'TOO_LARGE',
  ],
  ['oversize bytes', 'userToServer', new Uint8Array(MAX_USER_TO_SERVER_BYTES + 1).fill(0x20), 'TOO_LARGE'],
  // nesting: refused before JSON.parse or zod sees it
  ['100000 nested arrays', 'serverToClient', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'BAD_REQUEST'],
  [
    '100000 nested objects in a payload',
    'serverToClient',
    `{"type":"ACK","payload":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
    'BAD_REQUEST',
  ],
  [
    '33 levels',
    'serverToServer',
    json(withPayload(S.HEARTBEAT!, 'deep', JSON.parse(`${'['.repeat(31)}${']'.repeat(31)}`))),
    'BAD_REQUEST',
  ],
  // types
  ['unknown type', 'userToServer', json({ ...U.LIST, type: 'MSG_PRIVATE' }), 'UNKNOWN_TYPE'],
  ['lower-case type', 'userToServer', json({ ...U.LIST, type: 'list' }), 'UNKNOWN_TYPE'],
  ['server type on a user link', 'userToServer', json(S.SERVER_DELIVER), 'UNKNOWN_TYPE'],
  ['SERVER_HELLO_JOIN on a user link', 'userToServer', json(S.SERVER_HELLO_JOIN), 'UNKNOWN_TYPE'],
  ['user type on a server link', 'serverToServer', json(U.MSG_DIRECT), 'UNKNOWN_TYPE'],
  ['USER_HELLO on a server link', 'serverToServer', json(U.USER_HELLO), 'UNKNOWN_TYPE'],
  ['client-bound type from a client', 'userToServer', json(SERVER_TO_CLIENT.USER_DELIVER), 'UNKNOWN_TYPE'],
  ['client-only type at a client', 'serverToClient', json(U.USER_REGISTER), 'UNKNOWN_TYPE'],
]

describe('malformed frames give a typed failure, never a throw', () => {
  test.each(bad)('%s (%s)', (_name, kind, raw, code) => {
    const r = decode(raw, kind)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe(code)
    expect(r.error.detail.length).toBeLessThan(120)
    if (typeof raw === 'string')
      expect(raw.length < 8 || !r.error.detail.includes(raw.slice(0, 8))).toBe(true)
  })

  test('the 32-level boundary is accepted', () => {
    const deep = JSON.parse(`${'['.repeat(30)}${']'.repeat(30)}`)
    expect(decode(json(withPayload(S.HEARTBEAT!, 'deep', deep)), 'serverToServer').ok).toBe(true)
  })

  test('brackets inside strings do not count as nesting', () => {
    expect(decode(json(withPayload(U.ERROR!, 'detail', '[{'.repeat(200))), 'userToServer').ok).toBe(true)
  })

  test('maxBytes overrides the default cap', () => {
    const r = decode(json(U.LIST), 'userToServer', { maxBytes: 50 })
    expect(r.ok ? 'ok' : r.error.code).toBe('TOO_LARGE')
  })

  test('failures report the frame type so nobody answers an ERROR with an ERROR', () => {
    const r = decode(json(withPayload(S.ERROR!, 'code', 5)), 'serverToServer')
    expect(r).toMatchObject({ ok: false, type: 'ERROR', error: { code: 'BAD_REQUEST' } })
    const u = decode(json({ ...U.LIST, type: 'MSG_PRIVATE' }), 'userToServer')
    expect(u).toMatchObject({ ok: false, type: 'MSG_PRIVATE', error: { code: 'UNKNOWN_TYPE' } })
    const long = decode(json({ ...U.LIST, type: 'X'.repeat(500) }), 'userToServer')
    expect(long.ok || long.type).toBeUndefined()
  })

  test('a bad field is named by its path, not by its value', () => {
    const r = decode(json(withPayload(U.FILE_CHUNK!, 'index', 2.5)), 'userToServer')
    expect(r.ok ? '' : r.error.detail).toBe('bad frame at payload.index (invalid_type)')
  })
})

describe('envelope handling', () => {
  test('surrounding whitespace and a trailing \\n are trimmed', () => {
    expect(decode(`  ${json(U.LIST)}\n`, 'userToServer').ok).toBe(true)
    expect(decode(`\r\n\t${json(S.HEARTBEAT)}\r\n`, 'serverToServer').ok).toBe(true)
  })

  test('unknown top-level keys (id, relay, usig) are stripped', () => {
    const r = decode(json({ ...S.USER_REMOVE, id: 'x', relay: [SERVER], usig: sig() }), 'serverToServer')
    if (!r.ok) throw new Error(r.error.detail)
    expect(Object.keys(r.frame).sort()).toEqual(['from', 'payload', 'sig', 'to', 'ts', 'type'])
  })

  test.each([
    ['missing', undefined],
    ['empty', ''],
  ])('sig %s means unsigned', (_name, value) => {
    const r = decode(json({ ...U.FILE_CHUNK, sig: value }), 'userToServer')
    if (!r.ok) throw new Error(r.error.detail)
    expect(r.frame.sig).toBeUndefined()
  })

  test('padded base64url is accepted', () => {
    const r = decode(json(withPayload(U.MSG_DIRECT!, 'ciphertext', `${ct()}=`)), 'userToServer')
    expect(r.ok).toBe(true)
  })

  test('unknown payload keys are stripped from the frame but kept in rawPayload', () => {
    const wire = withPayload(U.MSG_DIRECT!, 'group_id', 'public')
    const r = decode(json(wire), 'userToServer')
    if (!r.ok) throw new Error(r.error.detail)
    expect('group_id' in r.frame.payload).toBe(false)
    expect(r.rawPayload.group_id).toBe('public')
  })

  test('an ERROR with an unknown code still parses', () => {
    const r = decode(json(withPayload(S.ERROR!, 'code', 'SOMETHING_NEW')), 'serverToServer')
    expect(r.ok && r.frame.type === 'ERROR' && r.frame.payload.code).toBe('SOMETHING_NEW')
  })

  test('a __proto__ key in a payload pollutes nothing', () => {
    const raw = json(U.LIST).replace('"payload":{}', '"payload":{"__proto__":{"polluted":true}}')
    const r = decode(raw, 'userToServer')
    expect(r.ok).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('a frame schema is never looser than the envelope (decode skips the envelope on success)', () => {
  const stricter = new Set<unknown>([UuidSchema, UuidOrEmptySchema])
  const unions = [UserToServerFrameSchema, ServerToServerFrameSchema, ServerToClientFrameSchema]
  test.each(unions.flatMap((u) => u.options.map((o) => [o.shape.type.value as string, o] as const)))(
    '%s',
    (_type, schema) => {
      for (const key of ['from', 'to', 'ts', 'sig'] as const) {
        const field = schema.shape[key]
        const literal =
          field instanceof z.ZodLiteral && typeof field.value === 'string' && field.value.length <= 256
        expect(field === EnvelopeSchema.shape[key] || stricter.has(field) || literal).toBe(true)
      }
      // An object schema, or a pipe whose input is one: either refuses what is not an object.
      let payload: z.ZodType = schema.shape.payload
      while (payload instanceof z.ZodPipe) payload = payload.in as z.ZodType
      expect(payload === EnvelopeSchema.shape.payload || payload instanceof z.ZodObject).toBe(true)
    },
  )
})

describe('encode', () => {
  test('writes exactly the six envelope keys, in order, with no trailing newline', () => {
    const text = encode({ ...U.MSG_DIRECT!, extra: 1 } as Wire)
    expect(Object.keys(JSON.parse(text))).toEqual(['type', 'from', 'to', 'ts', 'payload', 'sig'])
    expect(text.endsWith('}')).toBe(true)
  })

  test('an unsigned frame gets sig ""', () => {
    expect(JSON.parse(encode({ type: 'LIST', from: ALICE, to: SERVER, ts: 1, payload: {} })).sig).toBe('')
  })

  test('round-trips through decode', () => {
    const r = decode(encode(U.MSG_DIRECT!), 'userToServer')
    if (!r.ok) throw new Error(r.error.detail)
    expect(JSON.parse(encode({ ...r.frame, payload: r.rawPayload }))).toEqual(U.MSG_DIRECT!)
  })

  test.each([1.5, -1, 2 ** 53, Number.NaN])('refuses ts %p loudly (a programmer error)', (ts) => {
    expect(() => encode({ type: 'LIST', from: ALICE, to: BOB, ts, payload: {} })).toThrow(TypeError)
  })
})
