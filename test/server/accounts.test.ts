/** @module Accounts over the wire (docs/wire.md §2–§3): register, login, and every refusal. */

import { describe, expect, test } from 'bun:test'
import { Session } from '../../src/client/session.ts'
import { ChatError } from '../../src/errors.ts'
import { CLOSE_LOGGED_IN_ELSEWHERE } from '../../src/protocol/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, tempDir, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'
import { rawLogin, signed } from '../security/_attack.ts'

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return e instanceof ChatError ? e.code : `not a ChatError: ${String(e)}`
  }
  return 'no error'
}

describe('accounts', () => {
  test('register logs in; login by username (any case) and by UUID works after a reconnect', async () => {
    const s = await server()
    // A login by id needs the client store that knows the id's username (docs/security.md, KDF).
    const dataDir = tempDir()
    const alice = await Session.connect(s.url, { dataDir })
    await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
    expect(alice.userId).toMatch(/^[0-9a-f-]{36}$/)
    const id = alice.userId!
    await alice.close()
    await until(() => s.ctx.presence.local.size === 0)
    const again = await connectUser(s)
    expect(await again.login('ALICE', PASSWORD)).toEqual({ userId: id, username: 'alice' })
    await again.close()
    await until(() => s.ctx.presence.local.size === 0)
    const fresh = await connectUser(s)
    await expect(fresh.login(id, PASSWORD)).rejects.toThrow(/this client has no record of that user id/)
    await fresh.close()
    const byId = await Session.connect(s.url, { dataDir })
    expect((await byId.login(id, PASSWORD)).username).toBe('alice')
    await byId.close()
  })

  test('wrong password and unknown user give the same AUTH_FAILED', async () => {
    const s = await server()
    await user(s, 'alice', 0)
    const a = await connectUser(s)
    const b = await connectUser(s)
    let wrong = ''
    let unknown = ''
    try {
      await a.login('alice', 'not the password')
    } catch (e) {
      wrong = `${(e as ChatError).code}: ${(e as ChatError).message}`
    }
    try {
      await b.login('mallory', 'whatever')
    } catch (e) {
      unknown = `${(e as ChatError).code}: ${(e as ChatError).message}`
    }
    expect(wrong).toBe('AUTH_FAILED: invalid username or password')
    expect(unknown).toBe(wrong)
  })

  test('a duplicate username is refused, also when registered on another server', async () => {
    const [intro, a] = await mesh(1)
    await user(intro!, 'alice', 0)
    const here = await connectUser(intro!)
    expect(await codeOf(here.register('Alice', PASSWORD, { keyPair: await testKey(1) }))).toBe('NAME_IN_USE')
    await until(() => a!.ctx.store.directory.byUsername('alice') !== null, 3_000, 'directory replicated')
    const there = await connectUser(a!)
    expect(await codeOf(there.register('alice', PASSWORD, { keyPair: await testKey(1) }))).toBe('NAME_IN_USE')
  })

  test('invalid usernames are refused, not altered', async () => {
    const s = await server()
    for (const name of ['ab', 'a'.repeat(33), 'bad name', 'ünï', 'x/y']) {
      const c = await connectUser(s)
      expect(await codeOf(c.register(name, PASSWORD, { keyPair: await testKey(1) }))).toBe('BAD_REQUEST')
    }
  })

  test('login at a server that is not the home server names the home server', async () => {
    const [intro, a] = await mesh(1)
    await user(intro!, 'alice', 0)
    await until(() => a!.ctx.store.directory.byUsername('alice') !== null, 3_000, 'directory replicated')
    const c = await connectUser(a!)
    let detail = ''
    try {
      await c.login('alice', PASSWORD)
    } catch (e) {
      detail = (e as ChatError).message
    }
    expect(detail).toContain(intro!.serverId())
  })

  test('a second login replaces the first session, which is told "logged in elsewhere"', async () => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    const bob = await user(s, 'bob', 1)
    const closed = alice.next('closed')
    const laptop = await connectUser(s)
    expect((await laptop.login('alice', PASSWORD)).username).toBe('alice')
    expect((await closed).code).toBe(CLOSE_LOGGED_IN_ELSEWHERE)
    const got = laptop.next('dm')
    await bob.tell('alice', 'to the new laptop')
    expect((await got).text).toBe('to the new laptop')
    // No USER_REMOVE went out: alice never went offline for the rest of the mesh.
    expect(s.ctx.presence.local.size).toBe(2)
  })

  test.each([
    ['while the old session is told to go', 'ERROR'],
    ['while its presence batch is signed', 'PRESENCE_BATCH'],
    ['while it joins the public channel', 'PUBLIC_CHANNEL_ADD'],
  ])('a login whose link closes %s never stays online: DMs to the user are kept', async (_when, slowType) => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    const bob = await user(s, 'bob', 1)
    const key = await testKey(0)
    // The signature the handler awaits at that point waits until the link has closed.
    const frame = s.ctx.outbox.frame.bind(s.ctx.outbox)
    let entered = () => {}
    const reached = new Promise<void>((r) => {
      entered = r
    })
    s.ctx.outbox.frame = (async (...a: Parameters<typeof frame>) => {
      if (a[0] === slowType) {
        entered()
        await Bun.sleep(300)
      }
      return frame(...a)
    }) as typeof frame
    const again = await rawLogin(s, 'alice', PASSWORD)
    expect(again.answer.type).toBe('AUTH_OK')
    const hello = await signed(key, {
      type: 'USER_HELLO',
      from: alice.userId!,
      to: again.answer.from,
      payload: {
        client: 'test',
        pubkey: key.publicKey.spki,
        enc_pubkey: key.publicKey.spki,
        nonce: again.answer.payload.nonce,
      },
    })
    again.peer.send(hello)
    await reached
    again.peer.close()
    await until(() => !s.ctx.presence.local.has(alice.userId!), 5_000, 'alice offline')
    await Bun.sleep(500)
    expect(s.ctx.presence.local.has(alice.userId!)).toBe(false)
    expect(s.ctx.feed.everyone.size).toBe(1) // bob's link alone is pushed everyone's presence
    expect(s.ctx.store.channel.members().map((m) => m.memberId)).not.toContain(alice.userId!)
    expect((await bob.tell(alice.userId!, 'kept for later')).status).toBe('queued')
    const back = await connectUser(s)
    const got = back.next('dm')
    await back.login('alice', PASSWORD)
    expect((await got).text).toBe('kept for later')
  })

  test('two logins at once while a session is live: one session survives, the other is told and closed', async () => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    const closed = alice.next('closed')
    const key = await testKey(0)
    const logins = await Promise.all([0, 1].map(() => rawLogin(s, 'alice', PASSWORD)))
    const hellos = await Promise.all(
      logins.map((l) =>
        signed(key, {
          type: 'USER_HELLO',
          from: alice.userId!,
          to: l.answer.from,
          payload: {
            client: 'test',
            pubkey: key.publicKey.spki,
            enc_pubkey: key.publicKey.spki,
            nonce: l.answer.payload.nonce,
          },
        }),
      ),
    )
    // Both wait on the same old session being told to go; the one bound first must go too.
    for (const [i, l] of logins.entries()) l.peer.send(hellos[i]!)
    expect((await closed).code).toBe(CLOSE_LOGGED_IN_ELSEWHERE)
    const open = () => logins.filter((l) => l.peer.ws.readyState === WebSocket.OPEN)
    await until(() => open().length === 1, 5_000, 'one of the two logins closed')
    await Bun.sleep(300)
    expect(open()).toHaveLength(1)
    const [loser] = logins.filter((l) => l.peer.ws.readyState !== WebSocket.OPEN)
    expect(
      loser!.peer.frames.some((f) => f.type === 'ERROR' && f.payload.code === 'LOGGED_IN_ELSEWHERE'),
    ).toBe(true)
    expect(s.ctx.presence.local.get(alice.userId!)?.closed).toBe(false)
    // The survivor is the user: closing it takes them offline, and no other link speaks for them.
    open()[0]!.peer.close()
    await until(() => !s.ctx.presence.local.has(alice.userId!), 5_000, 'alice offline')
  })

  test('the database holds no password and no plaintext private key', async () => {
    const s = await server()
    await user(s, 'alice', 0)
    const key = await testKey(0)
    const bytes = Buffer.from(await Bun.file(s.db).arrayBuffer())
    const wal = (await Bun.file(`${s.db}-wal`).exists())
      ? Buffer.from(await Bun.file(`${s.db}-wal`).arrayBuffer())
      : Buffer.alloc(0)
    const pkcs8 = Buffer.from(key.pkcs8)
    for (const hay of [bytes, wal]) {
      expect(hay.includes(Buffer.from(PASSWORD))).toBe(false)
      expect(hay.includes(pkcs8.subarray(100, 140))).toBe(false)
      expect(hay.includes(Buffer.from(pkcs8.subarray(100, 140).toString('base64url')))).toBe(false)
      expect(hay.includes(Buffer.from(pkcs8.subarray(100, 140).toString('base64')))).toBe(false)
    }
  })
})
