/**
 * @module Routing rules the client cannot see for itself: the server's own USER_NOT_FOUND (a raw
 * MSG_DIRECT bypasses the client's pre-check), and the order of one conversation across servers.
 */

import { expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, until } from '../helpers/servers.ts'
import { ATTACKER_KEY, dm, rawUser } from '../security/_attack.ts'

test('the server itself answers a DM to a user online nowhere with USER_NOT_FOUND', async () => {
  const s = await server()
  const alice = await rawUser(s, 'alice', 0)
  const nobody = { id: randomUUID(), key: await testKey(ATTACKER_KEY) }
  alice.peer.send(await dm({ id: alice.id, key: alice.key }, nobody, 'anyone?'))
  const err = await alice.peer.next('ERROR')
  expect(err.payload.code).toBe('USER_NOT_FOUND')
  expect(err.from).toBe(s.serverId())
})

test('one conversation’s DMs across servers arrive in the order they were sent', async () => {
  const [, a, b] = await mesh(2)
  const alice = await rawUser(a!, 'alice', 0)
  const bob = await rawUser(b!, 'bob', 1)
  await until(() => a!.ctx.presence.route(bob.id).kind === 'remote', 5_000, 'bob reachable from a')
  const from = { id: alice.id, key: alice.key }
  const to = { id: bob.id, key: bob.key }
  const N = 40
  const t0 = Date.now()
  // Built first (each costs RSA), then sent back to back, each with its own ts.
  const frames = await Promise.all(Array.from({ length: N }, (_, i) => dm(from, to, `m${i}`, { ts: t0 + i })))
  for (const f of frames) alice.peer.send(f)
  const got: number[] = []
  for (let i = 0; i < N; i++) got.push((await bob.peer.next('USER_DELIVER', 10_000)).ts - t0)
  expect(got).toEqual(Array.from({ length: N }, (_, i) => i))
}, 60_000)
