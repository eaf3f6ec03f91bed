/**
 * @module The server folder's import graph has no loop (docs/architecture.md): each file is read,
 * its relative imports resolved, and any cycle fails the test with its path.
 */

import { expect, test } from 'bun:test'
import { join, relative, resolve } from 'node:path'
import { findCycle, graphOf, importsOf } from '../helpers/imports.ts'

const ROOT = resolve(import.meta.dir, '../..')

test('src/server has no import cycle', () => {
  const cycle = findCycle(graphOf(join(ROOT, 'src/server')))
  expect(cycle?.map((f) => relative(ROOT, f)) ?? null).toBeNull()
})

test('the cycle finder finds a planted loop', () => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', []],
  ])
  expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a'])
  expect(
    findCycle(
      new Map([
        ['a', ['b']],
        ['b', []],
      ]),
    ),
  ).toBeNull()
})

test('the import reader sees the server files it must', () => {
  const edges = importsOf(join(ROOT, 'src/server/connection.ts')).map((f) => relative(ROOT, f))
  expect(edges).toContain('src/server/mesh/inbound.ts')
  expect(edges).toContain('src/server/context.ts')
})
