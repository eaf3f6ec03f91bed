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

  test('another pubkey for a known user id is rekey and is not written', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ pubkey: 'evil', serverId: 'srv-evil' }))).toBe('rekey')
    expect(d.byId('u-b')).toEqual(entry())
  })

  test('a second claim on a taken name is kept beside the first: nobody is dropped (PROTOCOL.md §6)', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ userId: 'u-x', pubkey: 'pub-x', serverId: 'srv-2', created: 500 }))).toBe('added')
    expect(d.byId('u-b')).toEqual(entry())
    expect(d.allByUsername('bob').map((e) => e.userId)).toEqual(['u-x', 'u-b'])
    // The oldest claim first, whatever the arrival order.
    expect(d.byUsername('bob')?.userId).toBe('u-x')
  })

  test('another home server for a known user id is rehome and is not written', () => {
    const d = open().directory
    d.upsert(entry())
    expect(d.upsert(entry({ serverId: 'srv-evil' }))).toBe('rehome')
    expect(d.byId('u-b')).toEqual(entry())
  })

  test('a known user cannot back-date its created time', () => {
    const d = open().directory
    d.upsert(entry({ userId: 'u-c', username: 'carol', pubkey: 'pub-c', created: 5000 }))
    expect(d.upsert(entry({ userId: 'u-c', username: 'carla', pubkey: 'pub-c', created: 1 }))).toBe('updated')
    expect(d.byId('u-c')?.created).toBe(5000)
  })

  test('usernames are case-insensitive; all() and byServer() sort by username', () => {
    const d = open().directory
    d.upsert(entry({ username: 'Bob' }))
    d.upsert(entry({ userId: 'u-a', username: 'alice', pubkey: 'pub-a', serverId: 'srv-2' }))
    d.upsert(entry({ userId: 'u-c', username: 'carol', pubkey: 'pub-c' }))
    expect(d.byUsername('BOB')?.userId).toBe('u-b')
    expect(d.all().map((e) => e.username)).toEqual(['alice', 'bob', 'carol'])
    expect(d.byServer('srv-1').map((e) => e.userId)).toEqual(['u-b', 'u-c'])
    expect(d.byServer('srv-9')).toEqual([])
    expect(d.count()).toBe(3)
  })
})
