/**
 * Keys fetched when first needed (docs/wire.md §14): a contacts-mode session is pushed no one's
 * presence until it looks them up, learns a key through its pin check, and then hears when that
 * user comes and goes; a default session is pushed everyone's.
 */

import { describe, expect, test } from 'bun:test'
import { AccountStores } from '../../src/client/account-store.ts'
import { Session } from '../../src/client/session.ts'
import { ChatError } from '../../src/errors.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, tempDir } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'

async function contactsUser(url: string, name: string, keyIndex: number, dataDir?: string) {
  const s = await Session.connect(url, { presence: 'contacts', ...(dataDir && { dataDir }) })
  await s.register(name, PASSWORD, { keyPair: await testKey(keyIndex) })
  return s
}

describe('keys on first need', () => {
  test('a contacts-mode session learns a key on its first DM either way, then hears that user come and go', async () => {
    const [, a, b] = await mesh(2)
    const watcher = await user(a!, 'walt', 2)
    const alice = await contactsUser(a!.url, 'alice', 0)
    const heardOf: string[] = []
    alice.on('presence', (p) => heardOf.push(`${p.username} ${p.online ? 'on' : 'off'}`))
    const everyone = watcher.next('presence', (p) => p.username === 'bob' && p.online)
    const bob = await contactsUser(b!.url, 'bob', 1)
    await everyone // a default session is pushed bob's presence…
    // …alice is not, but her first DM to him fetches his key; bob fetches hers to check it.
    const got = bob.next('dm')
    await alice.tell('bob', 'first contact')
    expect((await got).text).toBe('first contact')
    expect(heardOf).toEqual([])
    expect((await alice.fingerprint('bob')).fingerprint).toBe((await bob.fingerprint()).fingerprint)
    const gone = alice.next('presence', (p) => p.username === 'bob' && !p.online)
    await bob.close()
    await gone
    const carolGone = watcher.next('presence', (p) => p.username === 'carol' && !p.online)
    await (await user(b!, 'carol', 3)).close()
    // Walt, on alice's server, was pushed carol coming and going; alice asked about nobody but bob.
    await carolGone
    expect(heardOf).toEqual(['bob off'])
  })

  test('a looked-up key goes through the pin check: a different key is a loud key change', async () => {
    const [s] = await mesh(0)
    const bob = await user(s!, 'bob', 1)
    const dataDir = tempDir()
    // An earlier session pinned another key for bob's id in alice's client store.
    const stores = new AccountStores(dataDir, s!.url)
    const pin = { userId: bob.userId!, username: 'bob', serverId: bob.serverId! }
    stores.open('alice').pin({ ...pin, pubkey: (await testKey(3)).publicKey.spki })
    stores.close()
    const alice = await contactsUser(s!.url, 'alice', 0, dataDir)
    const warned = alice.next('key-changed')
    const err = await alice.tell('bob', 'hi').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ChatError)
    expect((err as ChatError).code).toBe('BAD_KEY')
    expect(await warned).toMatchObject({ userId: bob.userId!, username: 'bob' })
  })

  test('looking up someone offline is USER_NOT_FOUND; list() is everyone, lookup is by name or id', async () => {
    const [s] = await mesh(0)
    const alice = await user(s!, 'alice', 0)
    await expect(alice.lookup('nobody')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' })
    const others = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const u = await connectUser(s!)
        await u.register(`user${i}`, PASSWORD, { keyPair: await testKey(i) })
        return u
      }),
    )
    expect((await alice.list()).map((u) => u.username)).toEqual(['alice', 'user1', 'user2', 'user3'])
    expect((await alice.lookup('USER2')).userId).toBe(others[1]!.userId!)
  })

  test('a conversation is watched both ways, even with keys from the online list', async () => {
    const [, a, b] = await mesh(2)
    const alice = await contactsUser(a!.url, 'alice', 0)
    const bob = await contactsUser(b!.url, 'bob', 1)
    const dave = await contactsUser(a!.url, 'dave', 2)
    const carol = await contactsUser(b!.url, 'carol', 3)
    // Keys from list(): no LOOKUP, so only the conversation itself can make anyone watched.
    await Promise.all([alice, bob, dave, carol].map((s) => s.list()))
    const heardOf: string[] = []
    alice.on('presence', (p) => heardOf.push(`${p.username} ${p.online ? 'on' : 'off'}`))
    const toBob = bob.next('dm')
    await alice.tell('bob', 'to bob, on another server')
    await toBob
    const toAlice = alice.next('dm')
    await dave.tell('alice', 'from dave, on her server')
    await toAlice
    const bobGone = alice.next('presence', (p) => p.username === 'bob' && !p.online)
    await bob.close()
    await bobGone
    const daveGone = alice.next('presence', (p) => p.username === 'dave' && !p.online)
    await dave.close()
    await daveGone
    // Carol, in the same list, never wrote nor was written to: not news to alice.
    await carol.close()
    await Bun.sleep(300)
    expect(heardOf).toEqual(['bob off', 'dave off'])
  })

  test('whoever wrote while we were away is watched once their message is handed over', async () => {
    const [s] = await mesh(0)
    const frank = await contactsUser(s!.url, 'frank', 0)
    await frank.close()
    const erin = await contactsUser(s!.url, 'erin', 1)
    expect((await erin.tell('frank', 'while you were away')).status).toBe('queued')
    const back = await Session.connect(s!.url, { presence: 'contacts' })
    const got = back.next('dm')
    await back.login('frank', PASSWORD)
    expect((await got).text).toBe('while you were away')
    const gone = back.next('presence', (p) => p.username === 'erin' && !p.online)
    await erin.close()
    await gone
    await back.close()
  })
})
