/**
 * @module Issue 15 §1: a known name listed under a new id. A hostile home server (and, on a real
 * server, a man in the middle rewriting only USER_LIST) lists "bob" with a fresh id and the
 * attacker's key; alice's client, with a persistent store across two logins, refuses it both
 * ways, loudly, until /trust, and names the candidates when two users share a name.
 */

import { afterEach, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { Session } from '../../src/client/session.ts'
import { fingerprint, type KeyPair } from '../../src/crypto/index.ts'
import { cliClient } from '../helpers/cli.ts'
import { testKey } from '../helpers/keys.ts'
import { server, tempDir, until } from '../helpers/servers.ts'
import { PASSWORD, user } from '../helpers/users.ts'
import { ATTACKER_KEY, dm } from './_attack.ts'
import { hostileServer, type Listed, type Wire } from './_hostile.ts'

const sessions: Session[] = []
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close().catch(() => {})))
})
async function open(url: string, dataDir: string): Promise<Session> {
  const s = await Session.connect(url, { dataDir })
  sessions.push(s)
  return s
}

type Person = { id: string; key: KeyPair; server: string }
const entry = (p: Person, username: string): Listed => ({
  user_id: p.id,
  username,
  server_id: p.server,
  pubkey: p.key.publicKey.spki,
})

/** What a server delivers when `from` DMs `to`: a correctly signed USER_DELIVER. */
async function deliver(from: Person, to: { id: string; key: KeyPair }, text: string, serverId: string) {
  const m = await dm(from, to, text)
  const p = m.payload as { ciphertext: string; sender_pub: string; content_sig: string }
  return {
    type: 'USER_DELIVER',
    from: serverId,
    to: to.id,
    ts: m.ts,
    payload: {
      ciphertext: p.ciphertext,
      sender: from.id,
      sender_pub: p.sender_pub,
      content_sig: p.content_sig,
    },
  } satisfies Wire
}

describe('issue 15 §1: pins bind names to ids', () => {
  test('hostile server: a new id under a verified name is refused both ways across two logins', async () => {
    const bob: Person = { id: randomUUID(), key: await testKey(1), server: randomUUID() }
    const fake: Person = { id: randomUUID(), key: await testKey(ATTACKER_KEY), server: randomUUID() }
    let listed = [entry(bob, 'bob')]
    const h = hostileServer({ others: () => listed })
    const dataDir = tempDir()

    const first = await open(h.url, dataDir)
    await first.register('alice', PASSWORD, { keyPair: await testKey(0) })
    await first.list()
    // Alice compared bob's fingerprint out of band.
    expect(await first.verify('bob')).toMatchObject({ userId: bob.id, verified: true })
    await first.close()

    listed = [entry(fake, 'bob')]
    const alice = await open(h.url, dataDir)
    const warned = alice.next('key-changed')
    const me = await alice.login('alice', PASSWORD)
    expect(await warned).toEqual({
      userId: fake.id,
      username: 'bob',
      old: fingerprint(bob.key.publicKey),
      new: fingerprint(fake.key.publicKey),
      verified: true,
      pinnedId: bob.id,
    })
    await expect(alice.tell('bob', 'the wire password is swordfish')).rejects.toThrow(/refusing to send/)
    const all = await alice.all('hello everyone')
    expect(all.recipients).toBe(0)
    expect(all.skipped).toEqual([expect.stringMatching(/^bob@[0-9a-f]{8}$/)])
    expect(await alice.fingerprint('bob')).toMatchObject({
      userId: fake.id,
      fingerprint: fingerprint(fake.key.publicKey),
      pinned: fingerprint(bob.key.publicKey),
    })
    // The attacker's DM, signed correctly with its own key, is dropped and never shown as bob's.
    const dms: string[] = []
    alice.on('dm', (m) => dms.push(m.text))
    const dropped = alice.next('error')
    h.push(
      me.userId,
      await deliver(fake, { id: me.userId, key: await testKey(0) }, 'hi, bob here', h.serverId),
    )
    expect((await dropped).detail).toMatch(/changed since it was pinned/)
    await alice.flush()
    expect(dms).toEqual([])
    expect(h.received.filter((f) => f.type === 'MSG_DIRECT' || f.type === 'MSG_PUBLIC_CHANNEL')).toEqual([])

    // Both listed: the name is ambiguous and the candidates are named; the id picks one.
    listed = [entry(bob, 'bob'), entry(fake, 'bob')]
    await alice.list()
    await expect(alice.tell('bob', 'x')).rejects.toThrow(/bob is ambiguous; name one of: bob@.*bob@.*/)
    await alice.tell(bob.id, 'to the real bob')
    await until(() => h.received.some((f) => f.type === 'MSG_DIRECT'), 3_000, 'the DM to bob')
    const sent = h.received.filter((f) => f.type === 'MSG_DIRECT')
    expect(sent.map((f) => f.to)).toEqual([bob.id])

    // After an out-of-band check, /trust accepts the new id; it is then unverified.
    expect(await alice.trust(fake.id)).toMatchObject({ userId: fake.id, verified: false })
  })

  test('the real CLI: /list qualifies shared names, /tell refuses with candidates, /verify, /trust', async () => {
    const bob: Person = { id: randomUUID(), key: await testKey(1), server: randomUUID() }
    const fake: Person = { id: randomUUID(), key: await testKey(ATTACKER_KEY), server: randomUUID() }
    let listed = [entry(bob, 'bob')]
    const h = hostileServer({ others: () => listed })
    const dataDir = tempDir()
    const one = cliClient(h.url, { dataDir })
    one.send('/register alice')
    await one.waitFor(/^\[LOGIN SUCCESS\] alice /)
    one.send('/verify bob')
    await one.waitFor(new RegExp(`^\\[VERIFIED\\] bob ${bob.id} ${fingerprint(bob.key.publicKey)}$`))
    expect(await one.end()).toBe(0)

    listed = [entry(bob, 'bob'), entry(fake, 'bob')]
    const two = cliClient(h.url, { dataDir })
    two.send('/login alice')
    await two.waitFor(
      new RegExp(`^\\[KEY CHANGED\\] bob ${fake.id}: a NEW ID under the name pinned to ${bob.id}`),
    )
    expect(two.lines().join('\n')).toContain('You had VERIFIED this contact')
    two.send('/list')
    await two.waitFor(/^Online users: alice, bob@[0-9a-f]{8}, bob@[0-9a-f]{8}$/)
    two.send('/tell bob the wire password is swordfish')
    await two.waitFor(/^\[ERROR\] BAD_REQUEST: bob is ambiguous; name one of: /)
    two.send(`/tell bob@${fake.server.slice(0, 8)} the wire password is swordfish`)
    await two.waitFor(/^\[ERROR\] BAD_KEY: the key of bob@/)
    expect(await two.end()).toBe(1)
    expect(h.received.filter((f) => f.type === 'MSG_DIRECT')).toEqual([])
  }, 60_000)
})

describe('issue 15 §1 on a real server: a man in the middle rewriting only USER_LIST', () => {
  test('a fake bob spliced into the list is refused; nothing is encrypted to the attacker', async () => {
    const s = await server()
    const bob = await user(s, 'bob', 1)
    const fake = { id: randomUUID(), key: await testKey(ATTACKER_KEY) }
    let rewrite = false
    const upstream: string[] = []
    const proxy = Bun.serve<{ up: WebSocket; queue: string[] }, never>({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req, srv) {
        const up = new WebSocket(s.url)
        return srv.upgrade(req, { data: { up, queue: [] } }) ? undefined : new Response('no', { status: 400 })
      },
      websocket: {
        open(ws) {
          const { up, queue } = ws.data
          up.addEventListener('open', () => {
            for (const m of queue.splice(0)) up.send(m)
          })
          up.addEventListener('message', (e) => {
            const f = JSON.parse(String(e.data)) as Wire
            if (rewrite && f.type === 'USER_LIST') {
              const users = f.payload.users as Listed[]
              f.payload.users = users.map((u) =>
                u.username === 'bob' ? { ...u, user_id: fake.id, pubkey: fake.key.publicKey.spki } : u,
              )
            }
            ws.send(JSON.stringify(f))
          })
          up.addEventListener('close', () => ws.close())
        },
        message(ws, m) {
          upstream.push(String(m))
          if (ws.data.up.readyState === WebSocket.OPEN) ws.data.up.send(String(m))
          else ws.data.queue.push(String(m))
        },
        close(ws) {
          ws.data.up.close()
        },
      },
    })
    try {
      const url = `ws://127.0.0.1:${proxy.port}`
      const dataDir = tempDir()
      const first = await open(url, dataDir)
      await first.register('alice', PASSWORD, { keyPair: await testKey(0) })
      await first.verify('bob')
      await first.close()
      await until(() => s.ctx.presence.local.size === 1)

      rewrite = true
      const alice = await open(url, dataDir)
      const warned = alice.next('key-changed')
      await alice.login('alice', PASSWORD)
      expect(await warned).toMatchObject({ userId: fake.id, pinnedId: bob.userId!, verified: true })
      await expect(alice.tell('bob', 'the wire password is swordfish')).rejects.toThrow(/refusing to send/)
      expect((await alice.all('hi all')).recipients).toBe(0)
      expect(upstream.some((m) => m.includes('"MSG_DIRECT"') || m.includes('"MSG_PUBLIC_CHANNEL"'))).toBe(
        false,
      )
    } finally {
      proxy.stop(true)
    }
  })
})
