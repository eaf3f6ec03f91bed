/**
 * @module Found by the red-team review after issue 11: one address created 14 permanent,
 * mesh-replicated accounts a second, and an ERROR flood over the rate limit was answered with a
 * RATE_LIMITED ERROR. Both on real servers.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { testKey } from '../helpers/keys.ts'
import { cheapRegistration } from '../helpers/registration.ts'
import { server, until } from '../helpers/servers.ts'
import { connect, type RawPeer } from '../helpers/ws.ts'
import { ATTACKER_KEY, count, dm, rawUser, signed } from './_attack.ts'

/** Sends one signed USER_REGISTER for a fresh id and name; resolves with the answer's type and code. */
async function register(peer: RawPeer, username: string): Promise<string> {
  const key = await testKey(ATTACKER_KEY)
  const payload = cheapRegistration(username, key)
  const before = peer.frames.length
  const answered = () => peer.frames.slice(before).find((f) => f.type === 'AUTH_OK' || f.type === 'ERROR')
  peer.send(await signed(key, { type: 'USER_REGISTER', from: randomUUID(), to: '', payload }))
  await until(() => answered() !== undefined, 10_000, 'an answer to USER_REGISTER')
  const f = answered()!
  return f.type === 'AUTH_OK' ? 'AUTH_OK' : String(f.payload.code)
}

describe('registration flood', () => {
  test('one address creates a burst of accounts, then is refused without argon2 work; names stay free', async () => {
    const s = await server({ login: { registerBurst: 3, registerPerSec: 1 / 3_600 } })
    const answers: string[] = []
    for (let i = 0; i < 6; i++) {
      const peer = await connect(s.url)
      answers.push(await register(peer, `squat${i}`))
      peer.close()
    }
    expect(answers).toEqual(['AUTH_OK', 'AUTH_OK', 'AUTH_OK', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
    expect(s.ctx.store.users.count()).toBe(3)
    expect(s.ctx.store.directory.byUsername('squat3')).toBeNull()
  })

  test('a refused name gives its registration back', async () => {
    const s = await server({ login: { registerBurst: 2, registerPerSec: 1 / 3_600 } })
    const peer = await connect(s.url)
    expect(await register(peer, 'taken')).toBe('AUTH_OK')
    for (let i = 0; i < 3; i++) {
      const again = await connect(s.url)
      expect(await register(again, 'taken')).toBe('NAME_IN_USE')
      again.close()
    }
    const last = await connect(s.url)
    expect(await register(last, 'free')).toBe('AUTH_OK')
  })
})

test('an ERROR flood over the rate limit is never answered, not even with RATE_LIMITED', async () => {
  const s = await server()
  const mallory = await rawUser(s, 'mallory', ATTACKER_KEY)
  const bob = await rawUser(s, 'bob', 1)
  const error = JSON.stringify({
    type: 'ERROR',
    from: mallory.id,
    to: '',
    ts: Date.now(),
    payload: { code: 'INTERNAL', detail: 'x' },
  })
  for (let i = 0; i < 3_000; i++) mallory.peer.sendText(error)
  await Bun.sleep(1_500)
  for (let i = 0; i < 3_000; i++) mallory.peer.sendText(error)
  await Bun.sleep(1_100)
  expect(count(mallory.peer, 'ERROR')).toBe(0)
  // The link is kept, and it still gets a notice for frames that are not errors.
  const beat = JSON.stringify({ type: 'HEARTBEAT', from: mallory.id, to: '', ts: Date.now(), payload: {} })
  for (let i = 0; i < 3_000; i++) mallory.peer.sendText(beat)
  expect((await mallory.peer.next('ERROR')).payload.code).toBe('RATE_LIMITED')
  await Bun.sleep(1_100)
  mallory.peer.send(await dm(mallory, bob, 'still here'))
  await bob.peer.next('USER_DELIVER')
})
