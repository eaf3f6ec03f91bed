/** @module applyKey(): the typed-line mirror that survives an interrupted prompt. */

import { expect, test } from 'bun:test'
import { applyKey, type Draft, type Key } from '../../src/client/draft.ts'

const type = (keys: [string | undefined, Key?][], start: Draft = { text: '', cursor: 0 }) =>
  keys.reduce((d, [s, k]) => applyKey(d, s, k ?? { name: s }), start)

test.each<[string, [string | undefined, Key?][], Draft]>([
  ['plain typing', [['h'], ['i']], { text: 'hi', cursor: 2 }],
  ['backspace', [['h'], ['i'], [undefined, { name: 'backspace' }]], { text: 'h', cursor: 1 }],
  [
    'insert after moving left',
    [['a'], ['c'], [undefined, { name: 'left' }], ['b']],
    { text: 'abc', cursor: 2 },
  ],
  ['home then type', [['b'], [undefined, { name: 'home' }], ['a']], { text: 'ab', cursor: 1 }],
  [
    'delete at cursor',
    [['a'], ['b'], [undefined, { name: 'home' }], [undefined, { name: 'delete' }]],
    { text: 'b', cursor: 0 },
  ],
  ['ctrl-u kills to start', [['a'], ['b'], [undefined, { name: 'u', ctrl: true }]], { text: '', cursor: 0 }],
  [
    'ctrl-w kills a word',
    [['/'], ['t'], [' '], ['b'], ['o'], [undefined, { name: 'w', ctrl: true }]],
    { text: '/t ', cursor: 3 },
  ],
  [
    'ctrl-k kills to end',
    [['a'], ['b'], [undefined, { name: 'left' }], [undefined, { name: 'k', ctrl: true }]],
    { text: 'a', cursor: 1 },
  ],
  ['a paste arrives whole', [['hello world']], { text: 'hello world', cursor: 11 }],
  [
    'return and tab add nothing',
    [['a'], ['\r', { name: 'return' }], ['\t', { name: 'tab' }]],
    { text: 'a', cursor: 1 },
  ],
  ['escape sequences add nothing', [['a'], ['\x1b[1;5C', { name: undefined }]], { text: 'a', cursor: 1 }],
])('%s', (_name, keys, expected) => {
  expect(type(keys)).toEqual(expected)
})
