/** @module BoundedMap: the one capped table every cache a peer can grow is built on. */

import { expect, test } from 'bun:test'
import { BoundedMap } from '../src/bounded.ts'

test('the oldest entry goes once the cap is reached; re-setting a key keeps its place', () => {
  const m = new BoundedMap<string, number>(3)
  m.set('a', 1).set('b', 2).set('c', 3)
  m.set('a', 10)
  expect([...m.keys()]).toEqual(['a', 'b', 'c'])
  m.set('d', 4)
  expect([...m.entries()]).toEqual([
    ['b', 2],
    ['c', 3],
    ['d', 4],
  ])
})

test('touch makes a key the most recent, so it outlives older ones', () => {
  const m = new BoundedMap<string, number>(2)
  m.set('a', 1).set('b', 2)
  m.touch('a', 3)
  m.set('c', 4)
  expect([...m.keys()]).toEqual(['a', 'c'])
  expect(m.get('a')).toBe(3)
})

test('a cap below one is a programmer error', () => {
  expect(() => new BoundedMap(0)).toThrow(TypeError)
})
