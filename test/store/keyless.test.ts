/** @module The keyless-user repository (migrations/0006): whose a keyless user is, on disk. */
import { describe, expect, test } from 'bun:test'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

describe('keyless users', () => {
  test('the first server to advertise a user keeps them; only it may rename them', () => {
    const k = open().keyless
    k.claim('u-1', 'ursula', 'srv-a')
    k.claim('u-1', 'mallory', 'srv-b')
    expect(k.get('u-1')).toEqual({ username: 'ursula', serverId: 'srv-a' })
    k.claim('u-1', 'ursa', 'srv-a')
    expect(k.get('u-1')).toEqual({ username: 'ursa', serverId: 'srv-a' })
    expect(k.countByServer('srv-a')).toBe(1)
    expect(k.countByServer('srv-b')).toBe(0)
  })

  test('kept across a reopen, gone once forgotten (their first key pinned)', () => {
    const path = dbPath()
    const first = open(path)
    first.keyless.claim('u-1', 'ursula', 'srv-a')
    first.close()
    const second = open(path)
    expect(second.keyless.get('u-1')?.serverId).toBe('srv-a')
    second.keyless.forget('u-1')
    expect(second.keyless.get('u-1')).toBeNull()
  })
})
