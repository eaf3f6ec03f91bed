/**
 * @module The client against real servers: the seed README's workflow through the Session
 * library, and the failures a user must see clearly.
 */

import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AccountStores } from '../../src/client/account-store.ts'
import { renderText } from '../../src/client/render.ts'
import { Session } from '../../src/client/session.ts'
import { ChatError } from '../../src/errors.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, tempDir, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return e instanceof ChatError ? `${e.code}: ${e.message}` : `not a ChatError: ${String(e)}`
  }
  return 'no error'
}

describe('client end to end', () => {
  test('the seed workflow: register, login, list from both sides, tell both ways, all, file', async () => {
    const [intro, second] = await mesh(1)
    const alice = await user(intro!, 'alice', 0)
    const bob = await user(second!, 'bob', 1)
    // The seed logs in after registering: a fresh connection, by username and by id.
    await alice.close()
    const again = await connectUser(intro!, tempDir())
    expect(await again.login('alice', PASSWORD)).toEqual({ userId: alice.userId!, username: 'alice' })

    await until(async () => (await again.list()).length === 2, 5_000, 'both online')
    for (const s of [again, bob]) expect((await s.list()).map((u) => u.username)).toEqual(['alice', 'bob'])

    const toBob = bob.next('dm')
    await again.tell('bob', 'Hello from across servers!')
    expect(await toBob).toMatchObject({
      from: again.userId!,
      fromName: 'alice',
      text: 'Hello from across servers!',
    })
    const toAlice = again.next('dm')
    await bob.tell(again.userId!, 'hi alice 👋')
    expect(await toAlice).toMatchObject({ fromName: 'bob', text: 'hi alice 👋' })

    const pub = bob.next('public')
    expect(await again.all('Testing public channel across mesh!')).toEqual({ recipients: 1, skipped: [] })
    expect(await pub).toMatchObject({ fromName: 'alice', text: 'Testing public channel across mesh!' })

    const src = join(tempDir(), 'test.txt')
    const data = new Uint8Array(3000).map((_, i) => (i * 31) & 0xff)
    writeFileSync(src, data)
    const got = bob.next('file', () => true, 20_000)
    const sent = await again.sendFile('bob', src)
    const file = await got
    expect(file.path.endsWith(`received_${sent.fileId}`)).toBe(true)
    expect(new Uint8Array(readFileSync(file.path))).toEqual(data)
  })

  test('wrong server, duplicate username and wrong password are told apart', async () => {
    const [intro, second] = await mesh(1)
    await (await user(intro!, 'alice', 0)).close()
    await until(() => second!.ctx.store.directory.byUsername('alice') !== null, 3_000, 'directory replicated')
    const elsewhere = await connectUser(second!)
    expect(await failure(elsewhere.login('alice', PASSWORD))).toMatch(
      new RegExp(`^AUTH_FAILED: account lives on server ${intro!.serverId()}`),
    )
    const dup = await connectUser(second!)
    expect(await failure(dup.register('alice', PASSWORD, { keyPair: await testKey(1) }))).toMatch(
      /^NAME_IN_USE/,
    )
    const wrong = await connectUser(intro!)
    expect(await failure(wrong.login('alice', 'not the password'))).toBe(
      'AUTH_FAILED: invalid username or password',
    )
    // The same session can try again after a failure (the link is reopened if the server closed it).
    expect((await wrong.login('alice', PASSWORD)).username).toBe('alice')
  })

  test('a message longer than one RSA block is refused; a file to an unknown user is USER_NOT_FOUND', async () => {
    const [s] = await mesh(0)
    const alice = await user(s!, 'alice', 0)
    await user(s!, 'bob', 1)
    expect(await failure(alice.tell('bob', 'x'.repeat(447)))).toBe(
      'BAD_REQUEST: message too long: 447 bytes, at most 446 fit in one RSA-4096 block',
    )
    expect(await failure(alice.tell('bob', 'é'.repeat(224)))).toMatch(/448 bytes/)
    const ok = alice.list()
    expect((await ok).length).toBe(2)
    const src = join(tempDir(), 'f.bin')
    writeFileSync(src, 'data')
    expect(await failure(alice.sendFile('carol', src))).toBe('USER_NOT_FOUND: no user carol in the directory')
  })

  test('a key that differs from the pin is warned about and refused', async () => {
    const [s] = await mesh(0)
    const bob = await user(s!, 'bob', 1)
    const dataDir = tempDir()
    // An earlier session pinned another key for bob's id in alice's client store.
    const stores = new AccountStores(dataDir, s!.url)
    const pin = { userId: bob.userId!, username: 'bob', serverId: bob.serverId! }
    stores.open('alice').pin({ ...pin, pubkey: (await testKey(3)).publicKey.spki })
    stores.close()
    const alice = await Session.connect(s!.url, { dataDir })
    const warned = alice.next('key-changed')
    await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
    const w = await warned
    expect(w).toMatchObject({ userId: bob.userId!, username: 'bob' })
    expect(renderText({ type: 'key-changed', ...w })?.text).toMatch(/^\[KEY CHANGED\] bob/)
    const refused = await failure(alice.tell('bob', 'hi'))
    expect(refused).toMatch(/^BAD_KEY: the key of bob@\w+ \(.*\) changed since it was pinned/)
    expect(refused).toEndWith('your message is held and sent when you /trust bob')
    // Bob's messages to alice are dropped too, with an error event instead of a DM.
    const dropped = alice.next('error')
    await bob.tell('alice', 'trust me')
    expect((await dropped).detail).toMatch(/changed since it was pinned/)
    // After comparing fingerprints out of band, alice accepts the new key: bob is reachable again,
    // and the message refused before goes to him now, encrypted to the key she just accepted.
    const held = bob.next('dm')
    const trusted = await alice.trust('bob')
    expect(trusted.fingerprint).toBe((await bob.fingerprint()).fingerprint)
    expect(trusted.resent).toBe(1)
    expect((await held).text).toBe('hi')
    const again = new AccountStores(dataDir, s!.url)
    expect(again.open('alice').contact(bob.userId!)?.pubkey).toBe((await testKey(1)).publicKey.spki)
    again.close()
    const heard = bob.next('dm')
    await alice.tell('bob', 'key accepted')
    expect((await heard).text).toBe('key accepted')
    expect(await failure(alice.trust('bob'))).toMatch(/^BAD_REQUEST: the key of bob has not changed/)
    await alice.close()
  })

  test('escape sequences in a message arrive neutralised', async () => {
    const [s] = await mesh(0)
    const alice = await user(s!, 'alice', 0)
    const bob = await user(s!, 'bob', 1)
    const got = bob.next('dm')
    await alice.tell('bob', '\x1b[2J\x1b]52;c;cHduZWQ=\x07hi\n[LOGIN SUCCESS] mallory\u202e')
    const dm = await got
    expect(renderText({ type: 'dm', ...dm })?.text).toBe(
      `DM from alice [${dm.unverified}]: hi[LOGIN SUCCESS] mallory`,
    )
  })
})
