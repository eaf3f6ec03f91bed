/** @module Routing on a real mesh: DMs, unknown users, the public channel, files, presence. */

import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ChatError } from '../../src/errors.ts'
import { FAST, mesh, server, stop, tempDir, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { connect } from '../helpers/ws.ts'
import { dm, rawUser } from '../security/_attack.ts'

describe('delivery', () => {
  // The recipient's Session verifies content_sig over ciphertext ‖ from ‖ to ‖ ts, so a DM that
  // arrives at all arrived with its original ts and an intact signature.
  test('a DM between users on two non-introducer servers arrives signed, intact, with its original ts', async () => {
    const [, a, b] = await mesh(2)
    const alice = await user(a!, 'alice', 0)
    const bob = await user(b!, 'bob', 1)
    await until(async () => (await alice.list()).length === 2, 3_000, 'both online')
    const got = bob.next('dm')
    await alice.tell('bob', 'Hello from across servers!')
    const dm = await got
    expect(dm).toMatchObject({ from: alice.userId!, fromName: 'alice', text: 'Hello from across servers!' })
    expect(Math.abs(dm.ts - Date.now())).toBeLessThan(5_000)
    const back = alice.next('dm')
    await bob.tell(alice.userId!, 'and back')
    expect((await back).text).toBe('and back')
  })

  test('a DM to an unknown user gets USER_NOT_FOUND', async () => {
    const s = await server()
    const alice = await user(s, 'alice', 0)
    let code = ''
    try {
      await alice.tell('4b1c2a9e-8b7d-4c6e-9a1f-0d2e3c4b5a69', 'anyone?')
      await alice.next('error', () => true, 3_000).then((e) => (code = e.code))
    } catch (e) {
      code = e instanceof ChatError ? e.code : String(e)
    }
    expect(code).toBe('USER_NOT_FOUND')
  })

  test('/all reaches every member on three servers exactly once', async () => {
    const [i, a, b] = await mesh(2)
    const users = [
      await user(i!, 'ann', 0),
      await user(a!, 'ben', 1),
      await user(b!, 'cat', 2),
      await user(b!, 'dan', 3),
    ]
    await until(async () => (await users[0]!.list()).length === 4, 3_000, 'all online')
    const counts = new Map<string, number>()
    for (const u of users.slice(1))
      u.on('public', (m) =>
        counts.set(u.username!, (counts.get(u.username!) ?? 0) + (m.text === 'hi all' ? 1 : 0)),
      )
    const got = Promise.all(users.slice(1).map((u) => u.next('public')))
    await users[0]!.all('hi all')
    const msgs = await got
    expect(msgs.map((m) => m.fromName)).toEqual(['ann', 'ann', 'ann'])
    await Bun.sleep(200)
    expect([...counts.values()]).toEqual([1, 1, 1])
  })

  test('a file crosses servers byte-identical as received_<file_id>', async () => {
    const [, a, b] = await mesh(2)
    const alice = await user(a!, 'alice', 0)
    const bob = await user(b!, 'bob', 1)
    await until(async () => (await alice.list()).length === 2)
    const path = join(tempDir(), 'photo.bin')
    const data = Buffer.from(Array.from({ length: 5000 }, (_, k) => (k * 31) % 256))
    writeFileSync(path, data)
    const got = bob.next('file', () => true, 20_000)
    await alice.sendFile('bob', path)
    const f = await got
    expect(f.path).toMatch(/received_[0-9a-f-]{36}$/)
    expect(readFileSync(f.path).equals(data)).toBe(true)
  })

  test("a dead server's users go offline elsewhere, and come back after a restart", async () => {
    const [intro, a, b] = await mesh(2)
    const alice = await user(a!, 'alice', 0)
    const bob = await user(b!, 'bob', 1)
    await until(() => intro!.ctx.presence.locations.size === 2, 3_000, 'both seen by the introducer')
    const bobId = bob.userId!
    const offline = alice.next('presence', (p) => !p.online && p.userId === bobId, 5_000)
    await stop(b!)
    await until(
      () => !a!.ctx.presence.locations.has(bobId) && !intro!.ctx.presence.locations.has(bobId),
      FAST.linkTimeoutMs * 4,
      'bob offline',
    )
    await offline
    // Bob's session reconnects by itself once his server is back (issue 13): no new login needed.
    const b2 = await server({ db: b!.db, port: b!.port, peers: [intro!] })
    await until(() => a!.ctx.presence.locations.get(bobId) === b2.serverId(), 15_000, 'bob back online')
  })

  test('presence reaches users: USER_ADVERTISE for a newcomer on another server', async () => {
    const [, a, b] = await mesh(2)
    const alice = await user(a!, 'alice', 0)
    const seen = alice.next('presence', (p) => p.online && p.username === 'bob')
    await user(b!, 'bob', 1)
    expect((await seen).username).toBe('bob')
  })

  test('health reports users and the persisted public channel version', async () => {
    const s = await server()
    await user(s, 'alice', 0)
    const h = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as {
      users: { local: number; online: number }
      public_version: number
    }
    expect(h.users).toMatchObject({ local: 1, online: 1 })
    expect(h.public_version).toBeGreaterThan(0)
    const raw = await connect(s.url)
    raw.send({
      type: 'LIST',
      from: '4b1c2a9e-8b7d-4c6e-9a1f-0d2e3c4b5a69',
      to: '',
      ts: Date.now(),
      payload: {},
    })
    expect((await raw.next('ERROR')).payload.code).toBe('AUTH_FAILED')
  })

  test('a DM whose recipient closes while it is signed is kept, never acked delivered and lost', async () => {
    const s = await server()
    const alice = await rawUser(s, 'alice', 0)
    const bob = await rawUser(s, 'bob', 1)
    const link = s.ctx.presence.local.get(alice.id)!
    const send = link.send.bind(link)
    let written = 0
    link.send = (text: string) => {
      if (!link.closed && text.includes('"USER_DELIVER"')) written++
      send(text)
    }
    const frames = await Promise.all(Array.from({ length: 40 }, (_, i) => dm(bob, alice, `m${i}`)))
    // Alice's socket goes at her first frame: DMs signed for her link meanwhile find it closed.
    alice.peer.ws.addEventListener('message', () => alice.peer.ws.close())
    for (const f of frames) bob.peer.send(f)
    const acks = () =>
      bob.peer.frames
        .filter((f) => f.type === 'ACK' && f.payload.msg_ref === 'DELIVERY')
        .flatMap((f) => f.payload.acks as { status: string }[])
    await until(() => acks().length === frames.length, 10_000, 'every DM acknowledged')
    const delivered = acks().filter((a) => a.status === 'delivered').length
    expect(delivered).toBe(written)
    expect(s.ctx.mailbox.waiting(alice.id)).toBe(frames.length - delivered)
  })
})
