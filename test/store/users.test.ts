import { describe, expect, test } from 'bun:test'
import { ChatError } from '../../src/errors.ts'
import type { NewUser } from '../../src/store/index.ts'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

const alice: NewUser = {
  userId: '7f1c2a4e-0000-4000-8000-000000000001',
  username: 'Alice_01',
  pubkey: 'alice-pub',
  privkeyStore: 'eyJ2IjoxfQ',
  pakePassword: '$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA',
  kdf: { name: 'scrypt', salt: 'c2FsdHNhbHQ', N: 32768, r: 8, p: 1 },
  meta: { display_name: 'Alice' },
  homeServer: 'srv-1',
}

function nameInUse(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ChatError)
    expect(err instanceof ChatError && err.code).toBe('NAME_IN_USE')
    return
  }
  throw new Error('expected NAME_IN_USE')
}

describe('users', () => {
  test('create stores the blob and verifier as given and lower-cases the username', () => {
    const s = open()
    const created = s.users.create(alice)
    expect(created.username).toBe('alice_01')
    expect(created.version).toBe(1)
    const got = s.users.byId(alice.userId)
    expect(got).toEqual(created)
    expect(got?.privkeyStore).toBe(alice.privkeyStore)
    expect(got?.pakePassword).toBe(alice.pakePassword)
    expect(got?.kdf).toEqual(alice.kdf)
    expect(got?.meta).toEqual({ display_name: 'Alice' })
  })

  test('username lookup is case-insensitive', () => {
    const s = open()
    s.users.create(alice)
    expect(s.users.byUsername('ALICE_01')?.userId).toBe(alice.userId)
    expect(s.users.byUsername('alice_01')?.userId).toBe(alice.userId)
    expect(s.users.byUsername('bob')).toBeNull()
    expect(s.users.byId('nope')).toBeNull()
  })

  test('a duplicate id or a username in another case is NAME_IN_USE', () => {
    const s = open()
    s.users.create(alice)
    nameInUse(() => s.users.create({ ...alice, username: 'someone_else' }))
    nameInUse(() => s.users.create({ ...alice, userId: 'other-id', username: 'ALICE_01' }))
    expect(s.users.count()).toBe(1)
  })

  test('count, null meta and persistence across reopen', () => {
    const path = dbPath()
    const a = open(path)
    expect(a.users.count()).toBe(0)
    a.users.create(alice)
    a.users.create({ ...alice, userId: 'u2', username: 'bob', meta: null })
    a.close()
    const b = open(path)
    expect(b.users.count()).toBe(2)
    expect(b.users.byUsername('Bob')?.meta).toBeNull()
  })

  test('store.transaction rolls an account back when a later step throws', () => {
    const s = open()
    expect(() =>
      s.transaction(() => {
        s.users.create(alice)
        s.directory.upsert({ ...alice, serverId: 'srv-1', created: 1 })
        throw new Error('later step failed')
      }),
    ).toThrow('later step failed')
    expect(s.users.count()).toBe(0)
    expect(s.directory.count()).toBe(0)
  })
})
