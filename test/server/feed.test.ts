/**
 * @module The presence feed's timing rules (src/server/feed.ts): when it is idle, one of our users'
 * change starts its batch at once, in the same call (so its signature is asked for before the
 * login's other frames); under load changes wait for the next batch and share it; batches go out
 * in order even when sending one is slow.
 */

import { describe, expect, test } from 'bun:test'
import { type Batch, type Change, changeUser, PresenceFeed, WATCH_LIMIT } from '../../src/server/feed.ts'

const user = (n: number): Change => ({
  online: true,
  user: { user_id: `u${n}`, username: `user${n}`, server_id: 's1', pubkey: 'k' },
})
const gone = (n: number): Change => ({ online: false, userId: `u${n}`, serverId: 's2' })
const ids = (b: Batch) => b.watched.map(changeUser)

function recorder(delayMs: number) {
  const sent: Batch[] = []
  let release: (() => void) | null = null
  let hold = false
  const feed = new PresenceFeed(async (b) => {
    sent.push(b)
    if (hold) await new Promise<void>((r) => (release = r))
  }, delayMs)
  return {
    feed,
    sent,
    holdSends: () => (hold = true),
    release: () => {
      hold = false
      release?.()
    },
  }
}

describe('presence feed', () => {
  test('an idle feed sends our user’s change in the same call', () => {
    const { feed, sent } = recorder(50)
    feed.own(user(1))
    expect(sent.map(ids)).toEqual([['u1']])
    expect(sent[0]!.own.map(changeUser)).toEqual(['u1'])
    feed.stop()
  })

  test('within the delay after a batch, changes wait and share the next one', async () => {
    const { feed, sent } = recorder(50)
    feed.own(user(1))
    feed.own(user(2))
    feed.own(user(3))
    expect(sent.map(ids)).toEqual([['u1']])
    await Bun.sleep(120)
    expect(sent.map(ids)).toEqual([['u1'], ['u2', 'u3']])
    feed.stop()
  })

  test('other servers’ changes of one moment go out together, never one by one', async () => {
    const { feed, sent } = recorder(50)
    for (const n of [1, 2, 3]) feed.other(gone(n))
    expect(sent).toEqual([])
    await Bun.sleep(20)
    expect(sent.map(ids)).toEqual([['u1', 'u2', 'u3']])
    feed.stop()
  })

  test('while a batch is being sent the next waits for it: batches stay in order', async () => {
    const { feed, sent, holdSends, release } = recorder(0)
    holdSends()
    feed.own(user(1))
    expect(sent.map(ids)).toEqual([['u1']])
    // Idle by the clock, but the first batch has not gone out yet: this one queues behind it.
    feed.own(user(2))
    const second = feed.flush()
    await Bun.sleep(20)
    expect(sent.map(ids)).toEqual([['u1']])
    release()
    await second
    expect(sent.map(ids)).toEqual([['u1'], ['u2']])
    feed.stop()
  })
})

describe('who a contacts-mode link watches', () => {
  const link = { send: () => {} }
  const watching = (feed: PresenceFeed, n: number) => feed.watchersOf([user(n)]).has(link)

  test('senders never push out the users it asked about; each kind keeps its own bound', () => {
    const feed = new PresenceFeed(async () => {})
    feed.watch(link, 'u1', 'asked')
    // A peer server can make up any number of senders: a thousand and one DMs from strangers.
    for (let n = 1000; n < 2001; n++) feed.watch(link, `u${n}`, 'heard')
    expect(watching(feed, 1)).toBe(true)
    expect(feed.watchCount(link)).toEqual({ asked: 1, heard: WATCH_LIMIT.heard })
    expect(watching(feed, 1000)).toBe(false)
    expect(watching(feed, 2000)).toBe(true)
    // Hearing from someone asked about leaves them among the asked; asking about a sender moves them.
    feed.watch(link, 'u1', 'heard')
    feed.watch(link, 'u2000', 'asked')
    expect(feed.watchCount(link)).toEqual({ asked: 2, heard: WATCH_LIMIT.heard - 1 })
    for (let n = 3000; n < 3000 + WATCH_LIMIT.asked; n++) feed.watch(link, `u${n}`, 'asked')
    expect(feed.watchCount(link).asked).toBe(WATCH_LIMIT.asked)
    expect(watching(feed, 1)).toBe(false) // the least recently asked went first
    feed.leave(link)
    expect(feed.watchCount(link)).toEqual({ asked: 0, heard: 0 })
    expect(watching(feed, 2000)).toBe(false)
  })
})
