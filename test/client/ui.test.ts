/**
 * @module The interactive client driven through clack's injectable streams: register, list,
 * an incoming DM that interrupts the prompt without losing the typed text, tell, quit.
 */

import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { runClient } from '../../src/client/index.ts'
import { mesh, tempDir, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'

// CSI and OSC sequences, so assertions read the text as a user would see it.
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g

function terminal() {
  const input = new PassThrough()
  const output = new PassThrough()
  let raw = ''
  let text = ''
  output.on('data', (b: Buffer) => {
    raw += b.toString('utf8')
    text += b.toString('utf8').replace(ANSI, '')
  })
  return {
    input,
    output,
    screen: () => text,
    /** Every byte written, escape sequences included: what a terminal would act on. */
    raw: () => raw,
    type: (keys: string) => input.write(keys),
    waitFor: (re: RegExp, ms = 10_000) => until(() => re.test(text), ms, `screen to show ${re}`),
  }
}

test('interactive: register, list, an interrupting DM, tell, quit', async () => {
  const [s] = await mesh(0)
  const bob = await user(s!, 'bob', 1)
  const t = terminal()
  const exit = runClient({
    server: s!.url,
    input: t.input,
    output: t.output,
    interactive: true,
    downloads: tempDir(),
    dataDir: join(tempDir(), 'data'),
  })
  await t.waitFor(/What would you like to do/)
  t.type('\x1b[B') // down to "Register a new account"
  await Bun.sleep(100)
  t.type('\r')
  await t.waitFor(/Choose a username/)
  t.type('carol\r')
  await t.waitFor(/Choose a password/)
  t.type('velvet-otter-harbor-91\r')
  await t.waitFor(/Type it again/)
  t.type('velvet-otter-harbor-91\r')
  await t.waitFor(/\[REGISTERED\] carol [0-9a-f-]{36}/, 20_000)

  t.type('/list\r')
  await t.waitFor(/Online users: bob, carol/)

  // Half a line typed, then a DM arrives: it is printed, and the prompt comes back with the text.
  t.type('/tell bob hel')
  await Bun.sleep(200)
  await bob.tell('carol', 'ping \x1b[2J')
  await t.waitFor(/DM from bob \[[0-9a-f:]{9}\]: ping/)
  const got = bob.next('dm')
  t.type('lo there\r')
  expect((await got).text).toBe('hello there')

  t.type('/quit\r')
  expect(await exit).toBe(0)
  expect(t.screen()).toContain('Bye.')
  // The peer's clear-screen was neutralised: the terminal never received it (nor any ESC [2J).
  expect(t.raw()).not.toContain('\x1b[2J')
}, 60_000)
