/**
 * @module The interactive client driven through clack's injectable streams: register, list,
 * an incoming DM that interrupts the prompt without losing the typed text, tell, quit.
 */

import { expect, test } from 'bun:test'
import { mesh } from '../helpers/servers.ts'
import { interactiveClient, registerOnScreen } from '../helpers/terminal.ts'
import { user } from '../helpers/users.ts'

test('interactive: register, list, an interrupting DM, tell, quit', async () => {
  const [s] = await mesh(0)
  const bob = await user(s!, 'bob', 1)
  const { t, exit } = interactiveClient(s!.url)
  await registerOnScreen(t, 'carol', 'velvet-otter-harbor-91')
  await t.waitFor(/\[REGISTERED\] carol [0-9a-f-]{36}/, 20_000)

  t.type('/list\r')
  await t.waitFor(/Online users: bob, carol/)

  // Half a line typed, then a DM arrives: it is printed, and the prompt comes back with the text.
  t.type('/tell bob hel')
  await Bun.sleep(200)
  await bob.tell('carol', 'ping \x1b[2J')
  await t.waitFor(/\d\d:\d\d bob \[[0-9a-f:]{9}\]: ping/)
  const got = bob.next('dm')
  t.type('lo there\r')
  expect((await got).text).toBe('hello there')

  t.type('/quit\r')
  expect(await exit).toBe(0)
  expect(t.screen()).toContain('Bye.')
  // The peer's clear-screen was neutralised: the terminal never received it (nor any ESC [2J).
  expect(t.raw()).not.toContain('\x1b[2J')
}, 60_000)
