/**
 * @module A contacts-mode user is told when the people they asked about come and go (docs/wire.md
 * §14). A DM also watches its sender for the recipient, so a mesh member that makes up senders —
 * any number, all under one key — and writes from each could push the people the user asked about
 * out of their watches. Found by the red-team pass of the issue 14 stop; performed here on a real
 * server by a rogue member that proved its own key.
 */

import { expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { WATCH_LIMIT } from '../../src/server/feed.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, until } from '../helpers/servers.ts'
import { ATTACKER_KEY, count, dm, rawUser, rogueServer } from './_attack.ts'

test('made-up senders never push the users someone asked about out of their watches', async () => {
  const [s] = await mesh(0)
  const victim = await rawUser(s!, 'vic', 0, 'contacts')
  const bob = await rawUser(s!, 'bob', 1)
  victim.peer.send({
    type: 'LOOKUP',
    from: victim.id,
    to: s!.serverId(),
    ts: Date.now(),
    payload: { user: 'bob' },
  })
  await victim.peer.next('USER_INFO')

  const rogue = await rogueServer(s!)
  const key = await testKey(ATTACKER_KEY + 1)
  const senders = WATCH_LIMIT.heard + 20
  for (let i = 0; i < senders; i++) {
    const fake = { id: randomUUID(), key }
    await rogue.send('DIRECTORY_ENTRY', {
      user_id: fake.id,
      username: `fake${i}`,
      pubkey: key.publicKey.spki,
      server_id: rogue.id,
      created: Date.now(),
    })
    const d = await dm(fake, victim, `hello ${i}`)
    await rogue.send(
      'SERVER_DELIVER',
      { user_id: victim.id, sender: fake.id, ...d.payload, inner_type: 'MSG_DIRECT' },
      { ts: d.ts },
    )
    if (i % 20 === 19) await Bun.sleep(50)
  }
  await until(() => count(victim.peer, 'USER_DELIVER') === senders, 10_000, `${senders} DMs at the victim`)
  expect(s!.ctx.feed.watchCount(s!.ctx.presence.local.get(victim.id)!)).toEqual({
    asked: 1,
    heard: WATCH_LIMIT.heard,
  })

  // Bob, whom the victim asked about, goes: the victim still hears it.
  const offline = (f: { payload: Record<string, unknown> }) =>
    Array.isArray(f.payload.offline) &&
    (f.payload.offline as { user_id: string }[]).some((u) => u.user_id === bob.id)
  bob.peer.close()
  await until(() => count(victim.peer, 'USER_PRESENCE', offline) === 1, 5_000, 'bob offline at the victim')
})
