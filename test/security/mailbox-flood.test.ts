/**
 * @module Found by the red-team review of issue 10 + 13: a mesh member forwarded DMs from invented
 * senders to an offline user; no content signature could be checked and every sender was new, so
 * the per-sender quota never applied and the user's mailbox filled with junk, dropping honest DMs.
 */

import { expect, test } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import { b64uEncode } from '../../src/crypto/index.ts'
import { server, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'
import { rogueServer } from './_attack.ts'

test('a member cannot fill an offline user’s mailbox with DMs from senders nobody knows', async () => {
  const s = await server()
  const alice = await user(s, 'alice', 0)
  const aliceId = alice.userId!
  await alice.close()
  await until(() => !s.ctx.presence.local.has(aliceId), 5_000, 'alice offline')
  const rogue = await rogueServer(s)
  for (let i = 0; i < 50; i++) {
    await rogue.send(
      'SERVER_DELIVER',
      {
        user_id: aliceId,
        ciphertext: b64uEncode(randomBytes(512)),
        sender: randomUUID(),
        sender_pub: rogue.key.publicKey.spki,
        content_sig: b64uEncode(randomBytes(512)),
        inner_type: 'MSG_DIRECT',
      },
      { to: s.serverId() },
    )
  }
  // An honest DM from a user the directory knows is still kept.
  const bob = await user(s, 'bob', 1)
  await bob.tell('alice', 'while you were away')
  await until(() => s.ctx.mailbox.waiting(aliceId) >= 1, 5_000, 'the honest DM kept')
  await Bun.sleep(300)
  expect(s.ctx.mailbox.waiting(aliceId)).toBe(1)
  const back = await connectUser(s)
  const got = back.next('dm')
  await back.login('alice', PASSWORD)
  expect((await got).text).toBe('while you were away')
})
