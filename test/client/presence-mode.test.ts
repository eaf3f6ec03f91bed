/**
 * @module `socp client --presence contacts` (docs/wire.md §14): the terminal client is told only
 * of the people it looked up, wrote to or heard from, while /list still asks the server for everyone.
 */

import { expect, test } from 'bun:test'
import { server, until } from '../helpers/servers.ts'
import { interactiveClient, registerOnScreen } from '../helpers/terminal.ts'
import { user } from '../helpers/users.ts'

test('--presence contacts: no news of strangers, /list shows everyone, news of who you wrote to', async () => {
  const s = await server()
  const { t, exit } = interactiveClient(s.url, { presence: 'contacts' })
  await registerOnScreen(t, 'carol', 'velvet-otter-harbor-91')
  await t.waitFor(/Online users: carol/, 20_000)

  const erin = await user(s, 'erin', 3)
  const bob = await user(s, 'bob', 1)
  // The control: a default session is pushed dave's coming and going.
  const daveSeen = erin.next('presence', (p) => p.username === 'dave' && p.online)
  const dave = await user(s, 'dave', 2)
  await daveSeen
  const got: string[] = []
  bob.on('dm', (d) => got.push(d.text))
  t.type('/list\r')
  await t.waitFor(/Online users: bob, carol, dave, erin/)
  t.type('/tell bob hi bob\r')
  await t.waitFor(/you → bob: hi bob/)
  await until(() => got.length === 1, 10_000, 'bob to get the DM')

  // Written to: bob's going is news. Dave is a stranger: his coming and going are not.
  await bob.close()
  await t.waitFor(/bob is offline/)
  await dave.close()
  await Bun.sleep(500)
  expect(t.screen()).not.toMatch(/dave is (online|offline)/)
  expect(t.screen()).not.toMatch(/bob is online/)

  t.type('/quit\r')
  expect(await exit).toBe(0)
}, 60_000)
