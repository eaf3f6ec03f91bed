/** @module parseCommand(): the slash-command table, valid and invalid lines. */

import { describe, expect, test } from 'bun:test'
import { COMMANDS, helpText, parseCommand } from '../../src/client/commands.ts'

const UUID = '0b3c7a8e-2f41-4d7a-9c1e-5a6b7c8d9e0f'

describe('parseCommand: valid lines', () => {
  test.each([
    ['/register', { name: 'register' }],
    ['/register Alice_1', { name: 'register', username: 'alice_1' }],
    ['/login alice', { name: 'login', login: 'alice' }],
    [`/login ${UUID}`, { name: 'login', login: UUID }],
    ['/list', { name: 'list' }],
    ['  /list  ', { name: 'list' }],
    ['/LIST', { name: 'list' }],
    ['/tell bob hi', { name: 'tell', user: 'bob', text: 'hi' }],
    ['/tell bob  hi   there ', { name: 'tell', user: 'bob', text: 'hi   there' }],
    [`/tell ${UUID} /not a command`, { name: 'tell', user: UUID, text: '/not a command' }],
    ['/all hello everyone', { name: 'all', text: 'hello everyone' }],
    ['/file bob ./notes.txt', { name: 'file', user: 'bob', path: './notes.txt' }],
    ['/file bob my file.txt', { name: 'file', user: 'bob', path: 'my file.txt' }],
    ['/fingerprint', { name: 'fingerprint' }],
    ['/fingerprint bob', { name: 'fingerprint', user: 'bob' }],
    ['/trust bob', { name: 'trust', user: 'bob' }],
    ['/help', { name: 'help' }],
    ['/quit', { name: 'quit' }],
  ])('%s', (line, command) => {
    expect(parseCommand(line)).toEqual({ ok: true, command } as never)
  })
})

describe('parseCommand: usage errors', () => {
  test.each([
    ['', /the message is empty/],
    ['/', /unknown command/],
    ['/frobnicate x', /unknown command \/frobnicate/],
    ['/register ab', /3–32.*usage: \/register/],
    ['/register alice bob', /usage: \/register/],
    ['/register al-ice', /usage: \/register/],
    ['/login', /missing argument; usage: \/login/],
    ['/login a b', /usage: \/login/],
    ['/list extra', /usage: \/list/],
    ['/tell', /missing argument; usage: \/tell/],
    ['/tell bob', /missing argument; usage: \/tell/],
    ['/all', /missing argument; usage: \/all/],
    ['/file bob', /missing argument; usage: \/file/],
    ['/fingerprint a b', /usage: \/fingerprint/],
    ['/trust', /usage: \/trust/],
    ['/quit now', /usage: \/quit/],
  ])('%p', (line, error) => {
    const r = parseCommand(line)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toMatch(error)
  })
})

test('/help fits the state: before login only what works then, after it everything but /register and /login', () => {
  const before = helpText(false)
  for (const u of ['/register', '/login', '/help', '/quit']) expect(before).toContain(u)
  expect(before).not.toContain('/tell')
  const after = helpText(true)
  for (const [name, c] of Object.entries(COMMANDS)) {
    if (name === 'register' || name === 'login') expect(after).not.toContain(c.usage)
    else expect(after).toContain(c.usage)
  }
})

test('plain text is a message to the current conversation; /msg is /tell', () => {
  expect(parseCommand('  hello there ')).toEqual({ ok: true, command: { name: 'say', text: 'hello there' } })
  expect(parseCommand('/msg bob hi')).toEqual({ ok: true, command: { name: 'msg', user: 'bob', text: 'hi' } })
  expect(parseCommand('/say x')).toMatchObject({ ok: false })
  expect(parseCommand('/history')).toEqual({ ok: true, command: { name: 'history' } })
  expect(parseCommand('/history bob')).toEqual({ ok: true, command: { name: 'history', user: 'bob' } })
  expect(parseCommand('/logout')).toMatchObject({ ok: true, command: { name: 'logout' } })
})
