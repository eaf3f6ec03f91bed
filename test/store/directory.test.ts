import { describe, expect, test } from 'bun:test'
import type { DirectoryEntry } from '../../src/store/index.ts'
import { useTempStores } from './_tmp.ts'

const { open } = useTempStores()

const entry = (over: Partial<DirectoryEntry> = {}): DirectoryEntry => ({
  userId: 'u-b',
  username: 'bob',
  pubkey: 'pub-b',
  serverId: 'srv-1',
  created: 1000,
  ...over,
})

describe('directory', () => {
  test('added, then unchanged on the same entry', () => {
    const d = open().directory
    expect(d.upsert(entry())).toBe('added')
    expect(d.upsert(entry())).toBe('unchanged')
    expect(d.byId('u-b')).toEqual(entry())
    expect(d.count()).toBe(1)
  })

  test('a new home server is an update', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ serverId: 'srv-2' }))).toBe('updated')
    expect(d.byId('u-b')?.serverId).toBe('srv-2')
  })

  test('another pubkey for a known user id is rekey and is not written', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ pubkey: 'evil', serverId: 'srv-evil' }))).toBe('rekey')
    expect(d.byId('u-b')).toEqual(entry())
  })

  test('a later claim on a taken name loses and is not written', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ userId: 'u-x', pubkey: 'pub-x', created: 2000 }))).toBe('name_conflict')
    expect(d.byId('u-x')).toBeNull()
    expect(d.byUsername('bob')?.userId).toBe('u-b')
  })

  test('an older claim on a taken name wins and replaces the holder', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ userId: 'u-x', pubkey: 'pub-x', created: 500 }))).toBe('added')
    expect(d.byUsername('bob')?.userId).toBe('u-x')
    expect(d.byId('u-b')).toBeNull()
  })

  test('equal created times fall back to the smaller user id, whatever the arrival order', () => {
    const older = entry({ userId: 'u-a', pubkey: 'pub-a' })
    const newer = entry({ userId: 'u-z', pubkey: 'pub-z' })
    const one = open().directory
    one.upsert(older)
    expect(one.upsert(newer)).toBe('name_conflict')
    const two = open().directory
    two.upsert(newer)
    expect(two.upsert(older)).toBe('added')
    expect(one.all()).toEqual(two.all())
  })

  test('a known user cannot back-date its created time to win a name', () => {
    const d = open().directory
    d.upsert(entry({ userId: 'u-c', username: 'carol', pubkey: 'pub-c', created: 5000 }))
    d.upsert(entry())
    const rename = entry({ userId: 'u-c', username: 'bob', pubkey: 'pub-c', created: 1 })
    expect(d.upsert(rename)).toBe('name_conflict')
    expect(d.byId('u-c')?.created).toBe(5000)
  })

  test('usernames are case-insensitive; all() and byServer() sort by username', () => {
    const d = open().directory
    d.upsert(entry({ username: 'Bob' }))
    d.upsert(entry({ userId: 'u-a', username: 'alice', pubkey: 'pub-a', serverId: 'srv-2' }))
    d.upsert(entry({ userId: 'u-c', username: 'carol', pubkey: 'pub-c' }))
    expect(d.byUsername('BOB')?.userId).toBe('u-b')
    expect(d.upsert(entry({ userId: 'u-q', username: 'BOB', pubkey: 'q', created: 9999 }))).toBe(
      'name_conflict',
    )
    expect(d.all().map((e) => e.username)).toEqual(['alice', 'bob', 'carol'])
    expect(d.byServer('srv-1').map((e) => e.userId)).toEqual(['u-b', 'u-c'])
    expect(d.byServer('srv-9')).toEqual([])
    expect(d.count()).toBe(3)
  })
})
