/**
 * @module Store-and-forward (issue 13, docs/wire.md §13): a DM or file for an offline user is kept,
 * still encrypted, by the recipient's home server — in its SQLite file, so it survives a restart —
 * and handed over at the next login, in order, with the sender's original signed ts.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SessionEvents } from '../../src/client/index.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, server, stop, tempDir, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD, user } from '../helpers/users.ts'
import { rawLogin, signed } from '../security/_attack.ts'

/** Registers `name` on `s` and logs it out again: an account that is offline. */
async function offlineUser(s: Parameters<typeof user>[0], name: string, key: number): Promise<string> {
  const u = await user(s, name, key)
  const id = u.userId!
  await u.close()
  return id
}

describe('offline delivery', () => {
  test('kept across a restart of the recipient home server, delivered in order with the original ts', async () => {
    const [, a, b] = await mesh(2)
    await offlineUser(b!, 'bob', 1)
    await until(() => b!.ctx.presence.local.size === 0, 5_000, 'bob offline')
    const alice = await user(a!, 'alice', 0)
    const told = []
    for (const text of ['one', 'two', 'three']) told.push(await alice.tell('bob', text))
    expect(told.map((t) => t.status)).toEqual(['queued', 'queued', 'queued'])
    const src = join(tempDir(), 'note.txt')
    writeFileSync(src, 'kept for later\n'.repeat(100))
    expect((await alice.sendFile('bob', src)).queued).toBe(true)
    // Nothing decrypts on a server: the kept rows hold the ciphertext as received.
    await until(
      () => b!.ctx.store.queue.size() === 3 + 1 + Math.ceil(1500 / 446) + 1,
      5_000,
      'kept on bob home server',
    )

    await stop(b!)
    const b2 = await server({ db: b!.db, port: b!.port, peers: [] })
    const bob = await connectUser(b2)
    const dms: SessionEvents['dm'][] = []
    bob.on('dm', (d) => dms.push(d))
    const file = bob.next('file', () => true, 15_000)
    await bob.login('bob', PASSWORD)
    await until(() => dms.length === 3, 10_000, 'three kept DMs')
    expect(dms.map((d) => d.text)).toEqual(['one', 'two', 'three'])
    expect(dms.map((d) => d.ts)).toEqual(told.map((t) => t.ts))
    expect(readFileSync((await file).path, 'utf8')).toBe('kept for later\n'.repeat(100))
    await until(() => b2.ctx.store.queue.size() === 0, 5_000, 'confirmed and forgotten')
  }, 60_000)

  test('on the same server, and the sender sees it was queued; a kept DM is handed over once', async () => {
    const s = await server()
    await offlineUser(s, 'bob', 1)
    await until(() => s.ctx.presence.local.size === 0, 5_000, 'bob offline')
    const alice = await user(s, 'alice', 0)
    expect((await alice.tell('bob', 'while you were out')).status).toBe('queued')
    await alice.close()
    const bob = await connectUser(s)
    const got = bob.next('dm', () => true, 10_000)
    await bob.login('bob', PASSWORD)
    expect((await got).text).toBe('while you were out')
    await until(() => s.ctx.store.queue.size() === 0, 5_000, 'confirmed and forgotten')
  }, 30_000)

  test('quotas: per recipient, and the sender is refused with RATE_LIMITED', async () => {
    const s = await server({ offlinePerRecipient: 2 })
    await offlineUser(s, 'bob', 1)
    await until(() => s.ctx.presence.local.size === 0, 5_000, 'bob offline')
    const alice = await user(s, 'alice', 0)
    await alice.tell('bob', '1')
    await alice.tell('bob', '2')
    await expect(alice.tell('bob', '3')).rejects.toThrow(/offline queue of this user is full/)
    expect(s.ctx.store.queue.size()).toBe(2)
  }, 30_000)

  test('expired frames are dropped, never handed over', async () => {
    const s = await server({ offlineTtlMs: 1 })
    await offlineUser(s, 'bob', 1)
    await until(() => s.ctx.presence.local.size === 0, 5_000, 'bob offline')
    const alice = await user(s, 'alice', 0)
    await alice.tell('bob', 'too late')
    await Bun.sleep(20)
    const bob = await connectUser(s)
    let got = 0
    bob.on('dm', () => got++)
    await bob.login('bob', PASSWORD)
    await Bun.sleep(300)
    expect(got).toBe(0)
    expect(s.ctx.store.queue.size()).toBe(0)
  }, 30_000)

  test('a receiver verifies a DM whose sender went offline meanwhile (directory entry, not the online list)', async () => {
    const [, a, b] = await mesh(2)
    const alice = await user(a!, 'alice', 0)
    const carol = await user(b!, 'carol', 2)
    const got = alice.next('dm', () => true, 10_000)
    const errors: string[] = []
    alice.on('error', (e) => errors.push(e.detail))
    await carol.tell('alice', 'last words')
    await carol.close()
    expect((await got).text).toBe('last words')
    expect(errors).toEqual([])
    // And one from a sender alice never saw online at all: looked up in the directory.
    await alice.close()
    const dave = await user(b!, 'dave', 3)
    await dave.tell('alice', 'from a stranger')
    await dave.close()
    const again = await connectUser(a!)
    const kept = again.next('dm', () => true, 10_000)
    await again.login('alice', PASSWORD)
    expect(await kept).toMatchObject({ fromName: 'dave', text: 'from a stranger' })
  }, 60_000)

  test('a login that drops before it handled the kept frames gets them again; they go once handled', async () => {
    const s = await server()
    await offlineUser(s, 'bob', 1)
    await until(() => s.ctx.presence.local.size === 0, 5_000, 'bob offline')
    const alice = await user(s, 'alice', 0)
    for (const text of ['first', 'second']) expect((await alice.tell('bob', text)).status).toBe('queued')
    // A client that is handed the frames and dies before handling them (it never confirms).
    const { peer, answer } = await rawLogin(s, 'bob', PASSWORD)
    expect(answer.type).toBe('AUTH_OK')
    const key = await testKey(1)
    const hello = {
      client: 'crashes',
      pubkey: key.publicKey.spki,
      enc_pubkey: key.publicKey.spki,
      nonce: answer.payload.nonce,
    }
    peer.send(await signed(key, { type: 'USER_HELLO', from: answer.to, to: answer.from, payload: hello }))
    const marker = await peer.next('ACK', 5_000).then(() => peer.next('ACK', 5_000))
    expect(marker.payload).toMatchObject({ msg_ref: 'KEPT' })
    expect(peer.frames.filter((f) => f.type === 'USER_DELIVER')).toHaveLength(2)
    peer.close()
    await until(() => s.ctx.presence.local.size === 1, 5_000, 'the crashed login gone')
    expect(s.ctx.store.queue.size()).toBe(2)
    // The real client gets both again, handles them, confirms: then they are forgotten.
    const bob = await connectUser(s)
    const dms: string[] = []
    bob.on('dm', (d) => dms.push(d.text))
    await bob.login('bob', PASSWORD)
    await until(() => dms.length === 2, 10_000, 'both again')
    expect(dms).toEqual(['first', 'second'])
    await until(() => s.ctx.store.queue.size() === 0, 5_000, 'confirmed and forgotten')
  }, 30_000)
})

describe('Mailbox quotas per pair', () => {
  test('one sender fills at most its share of a user’s queue: others are still kept', async () => {
    const s = await server()
    await offlineUser(s, 'bob', 1)
    await until(() => s.ctx.presence.local.size === 0, 5_000, 'bob offline')
    const bob = s.ctx.store.directory.byUsername('bob')!.userId
    const spammer = randomUUID()
    const body = { ciphertext: 'AA', sender: spammer, sender_pub: 'AA', content_sig: 'AA' }
    const keep = () => s.ctx.mailbox.keep(bob, spammer, Date.now(), { type: 'USER_DELIVER', payload: body })
    for (let i = 0; i < s.ctx.mailbox.limits.perPair; i++) keep()
    expect(keep).toThrow(/too many messages waiting for this user/)
    const alice = await user(s, 'alice', 0)
    expect((await alice.tell('bob', 'still room for me')).status).toBe('queued')
  }, 30_000)
})

describe('Mailbox.confirmed', () => {
  test('forgets only up to what was sent on the confirming link, whatever the client claims', async () => {
    const s = await server()
    const bob = randomUUID()
    const alice = randomUUID()
    const body = { ciphertext: 'AA', sender: alice, sender_pub: 'AA', content_sig: 'AA' }
    for (let i = 0; i < 3; i++)
      s.ctx.mailbox.keep(bob, alice, Date.now(), { type: 'USER_DELIVER', payload: body })
    const seqs = s.ctx.store.queue.page(bob, 0, 10).map((r) => r.seq)
    s.ctx.mailbox.confirmed(bob, Number.MAX_SAFE_INTEGER, 0)
    expect(s.ctx.store.queue.size()).toBe(3)
    s.ctx.mailbox.confirmed(bob, Number.MAX_SAFE_INTEGER, seqs[1]!)
    expect(s.ctx.store.queue.page(bob, 0, 10).map((r) => r.seq)).toEqual([seqs[2]!])
  })
})
