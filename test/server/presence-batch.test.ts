/**
 * Presence between servers (docs/wire.md §14, PROTOCOL.md §4): our servers exchange one signed
 * PRESENCE_BATCH per batch, other implementations keep getting the spec's USER_ADVERTISE and
 * USER_REMOVE, a resync is one batch, and a batch speaks only for its sender's own users.
 */

import { describe, expect, test } from 'bun:test'
import { importPublicKey, verifyPayload } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { ATTACKER_KEY, count, type Frame, rawUser, rogueServer } from '../security/_attack.ts'

const CAPS = { caps: ['presence-batch'] }
const ids = (f: Frame, field: 'online' | 'offline') =>
  field === 'offline'
    ? (f.payload.offline as string[])
    : (f.payload.online as { user_id: string }[]).map((u) => u.user_id)
const listed = (frames: Frame[], field: 'online' | 'offline') =>
  new Set(frames.filter((f) => f.type === 'PRESENCE_BATCH').flatMap((f) => ids(f, field)))
const signedBy = (s: ServerHandle, f: Frame) =>
  f.from === s.serverId() && verifyPayload(importPublicKey(s.ctx.me.pubkey), f.payload, f.sig ?? '')

describe('presence between servers', () => {
  test('ours get signed PRESENCE_BATCHes carrying exactly the users who came and went; others get the spec frames', async () => {
    const s = await server()
    const ours = await rogueServer(s, ATTACKER_KEY, CAPS)
    const plain = await rogueServer(s, ATTACKER_KEY + 1)
    const users = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((n, i) => rawUser(s, n, i)))
    const ids = users.map((u) => u.id)
    await until(
      () => ids.every((id) => listed(ours.peer.frames, 'online').has(id)),
      5_000,
      'all four batched',
    )
    await until(() => count(plain.peer, 'USER_ADVERTISE') === 4, 5_000, 'four plain adverts')
    const batches = ours.peer.frames.filter((f) => f.type === 'PRESENCE_BATCH')
    expect(batches.every((f) => signedBy(s, f) && f.payload.server_id === s.serverId())).toBe(true)
    expect([...listed(ours.peer.frames, 'online')].sort()).toEqual([...ids].sort())
    expect(count(ours.peer, 'USER_ADVERTISE')).toBe(0)
    // The spec's frames, one per user, each signed by the server: what other implementations read.
    const adverts = plain.peer.frames.filter((f) => f.type === 'USER_ADVERTISE')
    expect(adverts.map((f) => f.payload.user_id).sort()).toEqual([...ids].sort())
    expect(adverts.every((f) => signedBy(s, f))).toBe(true)
    expect(count(plain.peer, 'PRESENCE_BATCH')).toBe(0)

    for (const u of users.slice(0, 2)) u.peer.close()
    const gone = ids.slice(0, 2)
    await until(
      () => gone.every((id) => listed(ours.peer.frames, 'offline').has(id)),
      5_000,
      'two batched off',
    )
    await until(() => count(plain.peer, 'USER_REMOVE') === 2, 5_000, 'two plain removes')
    expect([...listed(ours.peer.frames, 'offline')].sort()).toEqual([...gone].sort())
    const removes = plain.peer.frames.filter((f) => f.type === 'USER_REMOVE').map((f) => f.payload.user_id)
    expect(removes.sort()).toEqual([...gone].sort())
  })

  test('a link that forms after users are online gets them all in one signed PRESENCE_BATCH', async () => {
    const s = await server()
    const users = await Promise.all(['eve', 'fay', 'gus'].map((n, i) => rawUser(s, n, i)))
    const ours = await rogueServer(s, ATTACKER_KEY, CAPS)
    const plain = await rogueServer(s, ATTACKER_KEY + 1)
    await until(() => count(ours.peer, 'PRESENCE_BATCH') > 0, 5_000, 'the resync batch')
    await until(() => count(plain.peer, 'USER_ADVERTISE') === 3, 5_000, 'the resync adverts')
    const [resync, ...more] = ours.peer.frames.filter((f) => f.type === 'PRESENCE_BATCH')
    expect(more).toEqual([])
    expect(signedBy(s, resync!)).toBe(true)
    expect(ids(resync!, 'online').sort()).toEqual(users.map((u) => u.id).sort())
    expect(resync!.payload.offline).toEqual([])
  })

  test('a PRESENCE_BATCH moves or removes nobody but its sender’s own users, and is never relayed', async () => {
    const [intro, a] = await mesh(1)
    const alice = await user(a!, 'alice', 0)
    const id = alice.userId!
    await until(() => intro!.ctx.presence.locations.get(id) === a!.serverId(), 5_000, 'alice at a')
    const rogue = await rogueServer(intro!, ATTACKER_KEY, CAPS)
    const witness = await rogueServer(intro!, ATTACKER_KEY + 1, CAPS)
    const pubkey = (await testKey(0)).publicKey.spki
    await rogue.send('PRESENCE_BATCH', {
      server_id: rogue.id,
      online: [{ user_id: id, username: 'alice', pubkey }],
      offline: [],
    })
    await rogue.send('PRESENCE_BATCH', { server_id: rogue.id, online: [], offline: [id] })
    // The origin's own batch, but on the rogue's link: presence is taken only from its origin.
    const forged = await rogue.frame('PRESENCE_BATCH', {
      server_id: a!.serverId(),
      online: [],
      offline: [id],
    })
    rogue.peer.send({ ...forged, from: a!.serverId() })
    const heard = alice.next('dm', (m) => m.text === 'still at a')
    await (await user(intro!, 'bob', 1)).tell('alice', 'still at a')
    await heard
    expect(intro!.ctx.presence.locations.get(id)).toBe(a!.serverId())
    expect(count(witness.peer, 'PRESENCE_BATCH', (f) => f.from === rogue.id)).toBe(0)
  })

  test('a batch reaches the clients of the other servers as its origin signed it, with names and keys', async () => {
    const [, a, b] = await mesh(2)
    const watcher = await rawUser(b!, 'walt', 2)
    const alice = await user(a!, 'alice', 0)
    const fromA = (f: Frame) => f.type === 'PRESENCE_BATCH' && f.from === a!.serverId()
    await until(
      () => watcher.peer.frames.some((f) => fromA(f) && ids(f, 'online').includes(alice.userId!)),
      5_000,
    )
    const batch = watcher.peer.frames.find((f) => fromA(f) && ids(f, 'online').includes(alice.userId!))!
    expect(signedBy(a!, batch)).toBe(true)
    expect(batch.payload.online).toContainEqual({
      user_id: alice.userId!,
      username: 'alice',
      pubkey: (await testKey(0)).publicKey.spki,
    })
  })

  test('a login on an idle server has its presence batch signed before the channel frames are asked for', async () => {
    const s = await server()
    const ours = await rogueServer(s, ATTACKER_KEY, CAPS)
    await Bun.sleep(100) // the feed is idle: the login's batch starts at once
    const steps: string[] = []
    const frame = s.ctx.outbox.frame.bind(s.ctx.outbox)
    s.ctx.outbox.frame = (async (...a: Parameters<typeof frame>) => {
      steps.push(`ask ${a[0]}`)
      const text = await frame(...a)
      steps.push(`signed ${a[0]}`)
      return text
    }) as typeof frame
    const ann = await rawUser(s, 'ann', 0)
    await until(() => count(ours.peer, 'PUBLIC_CHANNEL_UPDATED') > 0, 5_000, 'the channel frames')
    // Signed beside the batch, they took the cores its signature needs (src/server/announce.ts).
    expect(steps.indexOf('signed PRESENCE_BATCH')).toBeGreaterThan(-1)
    expect(steps.indexOf('signed PRESENCE_BATCH')).toBeLessThan(steps.indexOf('ask PUBLIC_CHANNEL_ADD'))
    expect(listed(ours.peer.frames, 'online').has(ann.id)).toBe(true)
  })
})
