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
  [['--log-level', 'loud']],
])('%p is a usage error', (args) => {
  expect(() => parseServerArgs(args)).toThrow(UsageError)
})

test('--log-level is validated and reaches the server config', () => {
  expect(parseServerArgs(['--log-level', 'warn']).logLevel).toBe('warn')
  expect(parseServerArgs([]).logLevel).toBeUndefined()
  expect(() => parseServerArgs(['--log-level', 'loud'])).toThrow(
    '--log-level expects debug, info, warn or error',
  )
})

test('real-network flags: --advertise, TLS files, --ca, --insecure-skip-verify, wss:// and IPv6 peers', () => {
  const c = parseServerArgs([
    '--bind',
    'wss://[::]:8765',
    '--advertise',
    'wss://chat.example.org:443',
    '--tls-cert',
    'cert.pem',
    '--tls-key',
    'key.pem',
    '--ca',
    'ca.pem',
    '--peer',
    'wss://[2001:db8::1]:8765',
  ])
  expect(c).toMatchObject({
    host: '::',
    port: 8765,
    advertise: { host: 'chat.example.org', port: 443, tls: true },
    tls: { certFile: 'cert.pem', keyFile: 'key.pem' },
    trust: { caFile: 'ca.pem', insecureSkipVerify: false },
    peers: [{ host: '2001:db8::1', port: 8765, tls: true }],
  })
  expect(parseServerArgs(['--insecure-skip-verify']).trust).toEqual({ insecureSkipVerify: true })
})

test.each([
  [['--bind', 'wss://0.0.0.0:8765']],
  [['--tls-cert', 'cert.pem']],
  [['--tls-key', 'key.pem']],
  [['--advertise', 'ws://0.0.0.0:8765']],
  [['--advertise', 'ws://[::]:8765']],
  [['--advertise', 'ws://example.org:0']],
  [['--advertise', 'example.org:8765']],
  [['--peer', 'ws://::1:8765']],
])('%p is a usage error (real-network flags)', (args) => {
  expect(() => parseServerArgs(args)).toThrow(UsageError)
})

test('--register-burst sets the per-address registration burst', () => {
  expect(parseServerArgs(['--register-burst', '500']).login).toEqual({ registerBurst: 500 })
  expect(parseServerArgs([]).login).toBeUndefined()
  expect(() => parseServerArgs(['--register-burst', 'many'])).toThrow(UsageError)
})

test('--joins-per-address and --join-secret-file (the secret itself is read by cli.ts)', () => {
  const c = parseServerArgs(['--joins-per-address', '4', '--join-secret-file', '/etc/socp/join'])
  expect(c.joinsPerAddress).toBe(4)
  expect(c.joinSecretFile).toBe('/etc/socp/join')
  expect(c.joinSecret).toBeUndefined()
  expect(parseServerArgs([]).joinsPerAddress).toBe(16)
  expect(() => parseServerArgs(['--joins-per-address', '0'])).toThrow(UsageError)
  expect(() => parseServerArgs(['--joins-per-address', 'x'])).toThrow(UsageError)
})
