/** @module Id and encoding field schemas, and the compile-time completeness of handler tables. */

import { describe, expect, test } from 'bun:test'
import {
  Base64urlSchema,
  type Handlers,
  Sha256HexSchema,
  TsSchema,
  USER_TO_SERVER_TYPES,
  type UserToServerFrame,
  UuidSchema,
} from '../../src/protocol/index.ts'
import { ALICE, SHA } from './_fixtures.ts'

describe('UuidSchema: lowercase UUID v4 only', () => {
  test.each([
    [ALICE, true],
    [crypto.randomUUID(), true],
    [ALICE.toUpperCase(), false],
    ['a8098c1a-f86e-11da-bd1a-00112444be1e', false], // v1
    ['3f1c2a9e-8b7d-4c6e-7a1f-0d2e3c4b5a69', false], // bad variant nibble
    ['3f1c2a9e8b7d4c6e9a1f0d2e3c4b5a69', false],
    [`${ALICE}\n`, false],
    ['', false],
    ['*', false],
  ])('%p → %p', (value, ok) => {
    expect(UuidSchema.safeParse(value).success).toBe(ok)
  })
})

describe('Base64urlSchema: -_ alphabet, padding accepted', () => {
  test.each([
    ['', true],
    ['QQ', true],
    ['QQ==', true],
    ['QUI', true],
    ['QUI=', true],
    ['-_8', true],
    ['Q', false], // one leftover char encodes nothing
    ['QQ=', false],
    ['a+b/', false],
    ['QQ==QQ', false],
    ['QQ ==', false],
  ])('%p → %p', (value, ok) => {
    expect(Base64urlSchema.safeParse(value).success).toBe(ok)
  })
})

describe('Sha256HexSchema and TsSchema', () => {
  test.each([
    [SHA, true],
    [SHA.toUpperCase(), false],
    [SHA.slice(1), false],
  ])('sha256 %p → %p', (value, ok) => {
    expect(Sha256HexSchema.safeParse(value).success).toBe(ok)
  })

  test.each([
    [0, true],
    [1764100000123, true],
    [Number.MAX_SAFE_INTEGER, true],
    [Number.MAX_SAFE_INTEGER + 1, false],
    [1.5, false],
    [-1, false],
    ['1', false],
    [Number.POSITIVE_INFINITY, false],
  ])('ts %p → %p', (value, ok) => {
    expect(TsSchema.safeParse(value).success).toBe(ok)
  })
})

describe('Handlers', () => {
  test('a table with one handler per type type-checks and covers the list', () => {
    const seen: string[] = []
    const note = (f: { type: string }) => void seen.push(f.type)
    const table = Object.fromEntries(USER_TO_SERVER_TYPES.map((t) => [t, note]))
    // The line below is the real test: deleting any key from a literal table is a compile error.
    const typed: Handlers<UserToServerFrame, null> = {
      USER_REGISTER: (f) => note(f),
      AUTH_HELLO: (f) => note(f),
      AUTH_RESPONSE: (f) => note(f),
      USER_HELLO: (f) => note({ type: f.payload.client }),
      USER_REKEY: (f) => note(f),
      MSG_DIRECT: (f) => note(f),
      MSG_PUBLIC_CHANNEL: (f) => note({ type: String(f.payload.items.length) }),
      FILE_START: (f) => note(f),
      FILE_CHUNK: (f) => note(f),
      FILE_END: (f) => note(f),
      LIST: (f) => note(f),
      USER_LOOKUP: (f) => note(f),
      LOOKUP: (f) => note(f),
      HEARTBEAT: (f) => note(f),
      ACK: (f) => note(f),
      ERROR: (f) => note({ type: f.payload.code }),
      CTRL_CLOSE: (f) => note(f),
    }
    expect(Object.keys(typed).sort()).toEqual(Object.keys(table).sort())
  })
})
