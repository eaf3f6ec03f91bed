import { describe, expect, test } from 'bun:test'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

describe('public channel', () => {
  test('starts at version 0 with no members', () => {
    const c = open().channel
    expect(c.version()).toBe(0)
    expect(c.members()).toEqual([])
  })

  test('every join, re-wrap and leave bumps and returns the version', () => {
    const c = open().channel
    expect(c.setMember('u1', 'wrap-1')).toBe(1)
    expect(c.setMember('u2', 'wrap-2')).toBe(2)
    expect(c.setMember('u1', 'wrap-1b')).toBe(3)
    expect(c.removeMember('u2')).toBe(4)
    expect(c.version()).toBe(4)
    expect(c.members()).toMatchObject([{ memberId: 'u1', wrappedKey: 'wrap-1b', role: 'member' }])
  })

  test('removing a non-member is not a leave: the version stays', () => {
    const c = open().channel
    c.setMember('u1', 'w')
    expect(c.removeMember('ghost')).toBe(1)
  })

  test('raiseVersion converges to the highest seen and never decreases', () => {
    const c = open().channel
    expect(c.raiseVersion(7)).toBe(7)
    expect(c.raiseVersion(3)).toBe(7)
    expect(c.setMember('u1', 'w')).toBe(8)
    expect(() => c.raiseVersion(1.5)).toThrow(TypeError)
  })

  test('applyUpdate stores wraps without bumping, then raises to the carried version', () => {
    const c = open().channel
    c.setMember('u1', 'old')
    expect(
      c.applyUpdate(5, [
        { memberId: 'u1', wrappedKey: 'new' },
        { memberId: 'u9', wrappedKey: 'w9' },
      ]),
    ).toBe(5)
    expect(c.members().map((m) => [m.memberId, m.wrappedKey])).toEqual([
      ['u1', 'new'],
      ['u9', 'w9'],
    ])
    expect(c.applyUpdate(2, [])).toBe(5)
  })

  test('version and members persist across reopen', () => {
    const path = dbPath()
    const a = open(path)
    a.channel.setMember('u1', 'w1')
    a.channel.raiseVersion(41)
    a.close()
    const b = open(path)
    expect(b.channel.version()).toBe(41)
    expect(b.channel.setMember('u2', 'w2')).toBe(42)
    expect(b.channel.members().length).toBe(2)
  })
})
