/**
 * @module A frozen client (SIGSTOP, a sleeping laptop) no longer locks its owner out (issue 11,
 * point 3): a new login that proves the key replaces the session, and the old client, once it
 * wakes, says in words that it was logged in elsewhere and exits instead of fighting back.
 */

import { expect, test } from 'bun:test'
import { cliClient } from '../helpers/cli.ts'
import { server, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'

test('a SIGSTOPped client is replaced by a new login and exits with "logged in elsewhere"', async () => {
  const s = await server()
  const first = await user(s, 'alice', 0)
  const bob = await user(s, 'bob', 1)
  await first.close()
  await until(() => s.ctx.presence.local.size === 1)

  const frozen = cliClient(s.url)
  frozen.send('/login alice')
  await frozen.waitFor(/\[LOGIN SUCCESS\] alice/)
  const aliceId = first.userId!
  const oldLink = s.ctx.presence.local.get(aliceId)
  frozen.proc.kill('SIGSTOP')
  try {
    // The server still sees the old socket open: it is not dead, only silent.
    const laptop = await connectUser(s)
    expect((await laptop.login('alice', PASSWORD)).username).toBe('alice')
    expect(s.ctx.presence.local.get(aliceId)).not.toBe(oldLink)
    expect(oldLink?.closed).toBe(true)
    const got = laptop.next('dm')
    await bob.tell('alice', 'to the laptop')
    expect((await got).text).toBe('to the laptop')
  } finally {
    frozen.proc.kill('SIGCONT')
  }
  await frozen.waitFor(/logged in elsewhere/)
  expect(await frozen.proc.exited).toBe(1)
  expect(frozen.lines().join('\n')).toContain('will not reconnect')
  // Nothing dialed back in: the laptop keeps the session.
  await Bun.sleep(200)
  expect(s.ctx.presence.local.get(aliceId)?.closed).toBe(false)
}, 60_000)
