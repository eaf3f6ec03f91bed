/**
 * @module Canonical JSON sorts keys by code point, as Python does (PROTOCOL.md §3.1): checked
 * against a plain code-point comparison on keys that mix ASCII, the private-use area and
 * characters above U+FFFF, where UTF-16 order differs.
 */

import { describe, expect, test } from 'bun:test'
import { byCodePoint, canonicalJson } from '../../src/crypto/encoding.ts'

const reference = (a: string, b: string) => {
  const ca = Array.from(a, (c) => c.codePointAt(0)!)
  const cb = Array.from(b, (c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!
  return ca.length - cb.length
}

const ALPHABET = ['a', 'b', 'z', '~', 'é', '\ud7ff', '\ue000', '\uffff', '😀', '𝄞', '\u{10ffff}']

/** Deterministic keys from a small LCG, so a failure names a reproducible pair. */
function keys(n: number): string[] {
  let x = 12345
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31
    return x
  }
  return Array.from({ length: n }, () =>
    Array.from({ length: 1 + (next() % 4) }, () => ALPHABET[next() % ALPHABET.length]).join(''),
  )
}

describe('key order of canonical JSON', () => {
  test('byCodePoint agrees in sign with code-point order on 40,000 pairs', () => {
    const ks = keys(400)
    for (const a of ks.slice(0, 200))
      for (const b of ks.slice(200))
        expect([a, b, Math.sign(byCodePoint(a, b))]).toEqual([a, b, Math.sign(reference(a, b))])
  })

  test('a key above U+FFFF sorts after one in the private-use area, unlike UTF-16 order', () => {
    expect(canonicalJson({ '😀': 1, '\ue000': 2, a: 3 })).toBe('{"a":3,"\\ue000":2,"\\ud83d\\ude00":1}')
    expect(['😀', '\ue000'].sort()).toEqual(['😀', '\ue000']) // what a plain sort would have done
  })
})
