/** @module parseClientArgs(): `socp client` flags. */

import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { CLIENT_USAGE, defaultPinsPath, parseClientArgs } from '../../src/client/args.ts'
import { UsageError } from '../../src/errors.ts'

describe('parseClientArgs', () => {
  test('defaults', () => {
    const a = parseClientArgs([], { HOME: '/home/u' })
    expect(a).toEqual({
      server: 'ws://127.0.0.1:8765',
      json: false,
      help: false,
      insecureSkipVerify: false,
      pinsPath: '/home/u/.config/socp/pins.json',
    })
  })

  test('every flag', () => {
    const a = parseClientArgs([
      '--server',
      'ws://10.0.0.2:9000',
      '--downloads',
      'in',
      '--password-file',
      'pw.txt',
      '--json',
      '--pins',
      'p.json',
      '--ca',
      'ca.pem',
      '--insecure-skip-verify',
    ])
    expect(a).toEqual({
      server: 'ws://10.0.0.2:9000',
      downloads: 'in',
      passwordFile: 'pw.txt',
      pinsPath: 'p.json',
      ca: 'ca.pem',
      insecureSkipVerify: true,
      json: true,
      help: false,
    })
  })

  test('XDG_CONFIG_HOME wins for the pins file', () => {
    expect(defaultPinsPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe(join('/x', 'socp', 'pins.json'))
  })

  test.each([
    [['--server', 'http://x:1']],
    [['--server', 'ws://host']],
    [['--bogus']],
    [['stray']],
    [['--downloads', '']],
  ])('%j is a usage error', (args) => {
    expect(() => parseClientArgs(args)).toThrow(UsageError)
  })

  test('usage names every flag', () => {
    for (const f of ['--server', '--downloads', '--password-file', '--json', '--pins'])
      expect(CLIENT_USAGE).toContain(f)
  })
})
