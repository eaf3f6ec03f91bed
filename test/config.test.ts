/** @module Command-line parsing for `socp server`: the seed's flags and our own. */

import { expect, test } from 'bun:test'
import { parseServerArgs } from '../src/config.ts'
import { UsageError } from '../src/errors.ts'

test('defaults match the seed README and keep one database per port', () => {
  const c = parseServerArgs([])
  expect(c).toMatchObject({
    host: '127.0.0.1',
    port: 8765,
    serverId: 'auto',
    peers: [],
    db: './data/server-8765.db',
  })
  expect(parseServerArgs(['--bind', 'ws://127.0.0.1:8766']).db).toBe('./data/server-8766.db')
})

test('the seed flags parse, --peer repeats, --http is accepted', () => {
  const c = parseServerArgs([
    '--bind',
    'ws://127.0.0.1:8767',
    '--server-id',
    'auto',
    '--peer',
    'ws://127.0.0.1:8765',
    '--peer',
    'ws://127.0.0.1:8766',
    '--http',
    '127.0.0.1:8082',
    '--heartbeat-ms',
    '100',
  ])
  expect(c.peers).toEqual([
    { host: '127.0.0.1', port: 8765, tls: false },
    { host: '127.0.0.1', port: 8766, tls: false },
  ])
  expect(c.heartbeatMs).toBe(100)
})

test.each([
  [['--bind', 'http://x:1']],
  [['--bind', 'ws://127.0.0.1:99999']],
  [['--server-id', 'not-a-uuid']],
  [['--heartbeat-ms', '1.5']],
  [['--http', 'nonsense']],
])('%p is a usage error', (args) => {
  expect(() => parseServerArgs(args)).toThrow(UsageError)
})
