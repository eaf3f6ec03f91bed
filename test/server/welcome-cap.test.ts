/**
 * A WELCOME stays under the 1 MiB server-frame cap however many users the directory holds
 * (docs/scale.md): past ≈ 1,200 entries a full list would make every join fail. The joiner
 * still learns every user, from the home server's DIRECTORY_ENTRY resync.
 */

import { expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { WELCOME_CLIENTS_MAX } from '../../src/server/mesh/bootstrap.ts'
import { testKey } from '../helpers/keys.ts'
import { server, until } from '../helpers/servers.ts'

const USERS = 1_250

test('a join succeeds with more directory entries than one WELCOME can carry, and learns them all', async () => {
  const intro = await server()
  const pubkey = (await testKey(0)).publicKey.spki
  const created = Date.now()
  intro.ctx.store.transaction(() => {
    for (let i = 0; i < USERS; i++)
      intro.ctx.store.directory.upsert({
        userId: randomUUID(),
        username: `u${String(i).padStart(4, '0')}`,
        pubkey,
        serverId: intro.serverId(),
        created,
      })
  })
  expect(WELCOME_CLIENTS_MAX).toBeLessThan(USERS)
  const b = await server({ peers: [intro] })
  await until(() => b.ctx.peers.has(intro.serverId()), 10_000, 'joined')
  await until(() => b.ctx.store.directory.count() === USERS, 50_000, 'every entry learned')
}, 90_000)
