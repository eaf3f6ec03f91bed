/** @module Up, Down and Tab at the chat prompt: the pure parts (src/client/line-keys.ts). */

import { describe, expect, test } from 'bun:test'
import { COMMAND_WORDS } from '../../src/client/commands.ts'
import { complete, InputHistory } from '../../src/client/line-keys.ts'

describe('input history', () => {
  test('Up walks back, Down returns to the line being typed; no repeats', () => {
    const h = new InputHistory()
    h.push('/list')
    h.push('/tell bob hi')
    h.push('/tell bob hi')
    expect(h.up('half')).toBe('/tell bob hi')
    expect(h.up('ignored')).toBe('/list')
    expect(h.up('ignored')).toBeNull()
    expect(h.down()).toBe('/tell bob hi')
    expect(h.down()).toBe('half')
    expect(h.down()).toBeNull()
  })
})

describe('Tab completion', () => {
  test.each([
    ['/te', '/tell '],
    ['/h', '/h'],
    ['/hi', '/history '],
    ['/tell b', '/tell bob '],
    ['/tell ca', '/tell carol'],
    ['hello c', 'hello carol'],
  ])('%j → %j', (typed, want) => {
    const got = complete(typed, COMMAND_WORDS, ['bob', 'carol', 'carola'])
    expect(got ?? typed).toBe(want)
  })

  test('nothing to complete is null', () => {
    expect(complete('/zz', COMMAND_WORDS, [])).toBeNull()
    expect(complete('/tell x', COMMAND_WORDS, ['bob'])).toBeNull()
  })
})
