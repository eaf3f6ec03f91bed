/** @module parseClientArgs(): `socp client` flags. */

import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { defaultDataDir } from '../../src/client/account-store.ts'
import { CLIENT_USAGE, parseClientArgs } from '../../src/client/args.ts'
import { UsageError } from '../../src/errors.ts'

describe('parseClientArgs', () => {
  test('defaults', () => {
    const a = parseClientArgs([], { HOME: '/home/u' })
    expect(a).toEqual({
      server: 'ws://127.0.0.1:8765',
      json: false,
      help: false,
      insecureSkipVerify: false,
      strictKdf: false,
      presence: 'all',
      dataDir: '/home/u/.local/share/socp',
      downloads: '/home/u/Downloads',
    })
    expect(parseClientArgs([], { HOME: '/h', XDG_DOWNLOAD_DIR: '/d' }).downloads).toBe('/d')
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
      '--ca',
      'ca.pem',
      '--insecure-skip-verify',
      '--data-dir',
      'd',
      '--accept-files',
      'ask',
      '--strict-kdf',
      '--presence',
      'contacts',
    ])
    expect(a).toEqual({
      server: 'ws://10.0.0.2:9000',
      downloads: 'in',
      passwordFile: 'pw.txt',
      ca: 'ca.pem',
      insecureSkipVerify: true,
      dataDir: 'd',
      acceptFiles: 'ask',
      strictKdf: true,
      presence: 'contacts',
      json: true,
      help: false,
    })
  })

  test('XDG_DATA_HOME wins for the client stores', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/x', HOME: '/h' })).toBe(join('/x', 'socp'))
  })

  test('--accept-files takes one of three policies', () => {
    expect(() => parseClientArgs(['--accept-files', 'yes'])).toThrow(UsageError)
  })

  test('--presence takes all or contacts', () => {
    expect(() => parseClientArgs(['--presence', 'none'])).toThrow(UsageError)
    expect(() => parseClientArgs(['--presence'])).toThrow(UsageError)
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
    for (const f of [
      '--server',
      '--downloads',
      '--password-file',
      '--json',
      '--data-dir',
      '--accept-files',
      '--strict-kdf',
      '--presence',
    ])
      expect(CLIENT_USAGE).toContain(f)
  })
})
