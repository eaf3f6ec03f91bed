/** @module sanitize(): escape sequences, control characters and bidi controls never reach the terminal. */

import { describe, expect, test } from 'bun:test'
import { sanitize } from '../../src/client/sanitize.ts'

describe('sanitize', () => {
  test.each([
    ['plain text', 'hello, world', 'hello, world'],
    ['unicode letters survive', 'héllo 日本 🙂', 'héllo 日本 🙂'],
    ['clear screen ESC [ 2J', '\x1b[2Jhi', 'hi'],
    ['colour SGR', '\x1b[31mred\x1b[0m', 'red'],
    ['CSI with intermediates', 'a\x1b[?25lb', 'ab'],
    ['OSC 52 clipboard write, BEL', 'x\x1b]52;c;ZXZpbA==\x07y', 'xy'],
    ['OSC title, ST terminator', 'x\x1b]0;pwned\x1b\\y', 'xy'],
    ['unterminated OSC eats the rest', 'x\x1b]0;pwned', 'x'],
    ['DCS string', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['two-byte ESC (RIS)', 'a\x1bcb', 'ab'],
    ['lone ESC at the end', 'ab\x1b', 'ab'],
    ['C1 8-bit CSI 0x9b', 'a\x9b2Jb', 'ab'],
    ['C1 8-bit OSC 0x9d ... ST 0x9c', 'a\x9d0;t\x9cb', 'ab'],
    ['other C1 controls', 'a\x85\x8db', 'ab'],
    ['NUL', 'a\x00b', 'ab'],
    ['DEL', 'a\x7fb', 'ab'],
    ['backspace overwrite', 'safe\x08\x08\x08\x08evil', 'safeevil'],
    ['newline cannot forge a line', 'hi\n[LOGIN SUCCESS] mallory', 'hi[LOGIN SUCCESS] mallory'],
    ['carriage return', 'a\rb', 'ab'],
    ['tab becomes a space', 'a\tb', 'a b'],
    ['bidi override RLO', 'abc\u202Etxt.exe', 'abctxt.exe'],
    ['bidi embeddings and PDF', '\u202Aa\u202Bb\u202Cc\u202Dd', 'abcd'],
    ['bidi isolates', '\u2066a\u2067b\u2068c\u2069', 'abc'],
    ['marks LRM RLM ALM', 'a\u200Eb\u200Fc\u061Cd', 'abcd'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'abc'],
  ])('%s', (_name, input, expected) => {
    expect(sanitize(input)).toBe(expected)
  })

  test('the result never contains a control or bidi character', () => {
    let all = ''
    for (let c = 0; c < 0xa0; c++) all += String.fromCharCode(c)
    all += '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069'
    const out = sanitize(all)
    expect(out).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/)
  })
})
