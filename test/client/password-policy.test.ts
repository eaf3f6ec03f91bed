/**
 * @module The password policy for new accounts (issue 11, point 1): the same refusal with the same
 * reason in every mode — the library check, script mode with SOCP_PASSWORD, and the terminal prompt.
 */

import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { runClient } from '../../src/client/index.ts'
import { passwordProblem } from '../../src/client/password-policy.ts'
import { cliClient } from '../helpers/cli.ts'
import { server, tempDir, until } from '../helpers/servers.ts'
import { PASSWORD } from '../helpers/users.ts'

describe('passwordProblem', () => {
  test.each([
    ['abc', /too short: use at least 10 characters/],
    ['sunshine7', /too short/],
    ['password123', /too weak: it is a very common password/],
    ['qwertyuiop', /too weak: it is one of the hundred most common passwords/],
    ['sunshine77sunshine77', /too weak/],
    ['1234567890', /too weak/],
  ])('%p is refused', (pw, why) => {
    expect(passwordProblem(pw)).toMatch(why)
  })

  test.each([PASSWORD, 'velvet-otter-harbor-91', 'Tr0ub4dor&3x'])('%p is accepted', (pw) => {
    expect(passwordProblem(pw)).toBeNull()
  })

  test('the username does not count as strength', () => {
    expect(passwordProblem('aliceliddell1', 'aliceliddell1')).toMatch(/too weak/)
  })
})

test('script mode (SOCP_PASSWORD): a weak password is refused with its reason, nothing is registered', async () => {
  const s = await server()
  for (const [pw, why] of [
    ['abc', /^\[ERROR\] BAD_REQUEST: password too short: use at least 10 characters/],
    ['password1234', /^\[ERROR\] BAD_REQUEST: password too weak: /],
  ] as const) {
    const c = cliClient(s.url, { password: pw })
    c.send('/register weakling')
    await c.waitFor(why)
    expect(await c.end()).toBe(1)
  }
  expect(s.ctx.store.users.count()).toBe(0)
}, 60_000)

// CSI and OSC sequences, so assertions read the text as a user would see it.
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g

test('interactive mode: the prompt refuses a weak password with its reason', async () => {
  const s = await server()
  const input = new PassThrough()
  const output = new PassThrough()
  let screen = ''
  output.on('data', (b: Buffer) => {
    screen += b.toString('utf8').replace(ANSI, '')
  })
  const waitFor = (re: RegExp) => until(() => re.test(screen), 10_000, `screen to show ${re}`)
  const exit = runClient({
    server: s.url,
    input,
    output,
    interactive: true,
    downloads: tempDir(),
    dataDir: join(tempDir(), 'data'),
  })
  await waitFor(/What would you like to do/)
  input.write('\x1b[B')
  await Bun.sleep(100)
  input.write('\r')
  await waitFor(/Choose a username/)
  input.write('weakling\r')
  await waitFor(/Choose a password/)
  input.write('password1234\r')
  await waitFor(/Password too weak: it is close to a common password/)
  // Still at the prompt: nothing was registered, and a strong password goes through.
  expect(s.ctx.store.users.count()).toBe(0)
  input.write('\x7f'.repeat(12))
  input.write('velvet-otter-harbor-91\r')
  await waitFor(/Type it again/)
  input.write('velvet-otter-harbor-91\r')
  await waitFor(/\[REGISTERED\] weakling/)
  input.write('/quit\r')
  expect(await exit).toBe(0)
}, 60_000)
