/**
 * @module Spread: one text to many links, a slice per event-loop turn, each link's texts in the
 * order they were given, to the links as they were when given.
 */

import { describe, expect, test } from 'bun:test'
import { Spread } from '../../src/server/spread.ts'

const turn = () => new Promise<void>((r) => setImmediate(r))

function links(n: number) {
  return Array.from({ length: n }, () => {
    const got: string[] = []
    return { got, send: (t: string) => void got.push(t) }
  })
}

describe('Spread', () => {
  test('nothing is written in the caller’s turn; a slice per turn after that, in order', async () => {
    const spread = new Spread(3)
    const ls = links(5)
    spread.send(ls, 'a')
    spread.send(ls, 'b')
    expect(ls.map((l) => l.got.length)).toEqual([0, 0, 0, 0, 0])
    await turn()
    expect(ls.map((l) => l.got)).toEqual([['a'], ['a'], ['a'], [], []])
    await turn()
    expect(ls.map((l) => l.got)).toEqual([['a', 'b'], ['a'], ['a'], ['a'], ['a']])
    await turn()
    await turn()
    expect(ls.every((l) => l.got.join() === 'a,b')).toBe(true)
    expect(spread.waiting).toBe(0)
  })

  test('a text goes to the links there were when it was given, not to later ones', async () => {
    const spread = new Spread()
    const set = new Set(links(2))
    spread.send(set, 'before')
    const late = links(1)[0]!
    set.add(late)
    spread.send(set, 'after')
    for (let i = 0; i < 3; i++) await turn()
    expect([...set].map((l) => l.got)).toEqual([['before', 'after'], ['before', 'after'], ['after']])
  })

  test('10,000 links take 40 turns of 256 writes, so other frames are taken in between', async () => {
    const spread = new Spread()
    const ls = links(10_000)
    spread.send(ls, 'x')
    let turns = 0
    while (spread.waiting > 0) {
      await turn()
      turns++
      expect(ls.filter((l) => l.got.length > 0).length).toBe(Math.min(10_000, turns * 256))
    }
    expect(turns).toBe(40)
  })

  test('past the cap of waiting writes, everything waiting is written at once, still in order', async () => {
    const spread = new Spread(2, 10)
    const ls = links(4)
    spread.send(ls, 'a') // 4 waiting
    spread.send(ls, 'b') // 8 waiting
    expect(ls.every((l) => l.got.length === 0)).toBe(true)
    spread.send(ls, 'c') // 12 > 10: all written now
    expect(ls.map((l) => l.got.join())).toEqual(['a,b,c', 'a,b,c', 'a,b,c', 'a,b,c'])
    expect(spread.writes).toBe(0)
    expect(spread.waiting).toBe(0)
    spread.send(ls, 'd')
    for (let i = 0; i < 3; i++) await turn()
    expect(ls.every((l) => l.got.join() === 'a,b,c,d')).toBe(true)
  })
})
