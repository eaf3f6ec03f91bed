/**
 * @module Issue 10, the red team's last finding, performed on real servers: joins open to anyone
 * with a self-made key. A stranger completing the link challenge under many ids filled the pin cap,
 * was redialed at the addresses it claimed and listed to later joiners. Now (docs/security.md
 * "Joins"): one key is one server, an address may add only so many servers, a server is listed and
 * redialed only once it answered at its claimed address, a throwaway server is forgotten when its
 * link goes, and a closed mesh (`--join-secret-file`) admits only servers that prove the secret.
 */

import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type ServerHandle, startServer } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { server, stop, tempDir, until } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'
import { ATTACKER_KEY } from './_attack.ts'
import { claimedAddress, type Stranger, stranger } from './_stranger.ts'

const keys = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => testKey(ATTACKER_KEY + i)))
const pins = (s: ServerHandle) => s.ctx.store.servers.all().map((p) => p.serverId)

describe('hostile joins', () => {
  test('one address adds at most --joins-per-address servers; their pins go with their links; then an honest server joins', async () => {
    const intro = await server({ joinsPerAddress: 3, helloTimeoutMs: 1_000 })
    const claimed = claimedAddress()
    const ks = await keys(4)
    const linked: Stranger[] = []
    for (const k of ks.slice(0, 3)) linked.push(await stranger(intro, k, { port: claimed.port }))
    expect(linked.map((s) => s.outcome)).toEqual(['linked', 'linked', 'linked'])
    const fourth = await stranger(intro, ks[3]!, { port: claimed.port })
    expect(fourth.outcome).toBe('refused')
    expect(pins(intro)).not.toContain(fourth.id)
    // Each was probed where it said it listens; nobody answered there, so none is confirmed.
    await until(() => claimed.hits() >= 3, 5_000, 'the probes')
    expect(intro.ctx.store.servers.all().every((p) => !p.confirmed)).toBe(true)
    for (const s of linked) s.peer.close()
    await until(() => pins(intro).length === 0, 5_000, 'throwaway pins forgotten')
    // Gone means gone: not redialed at the claimed address.
    await Bun.sleep(2_000)
    const hits = claimed.hits()
    await Bun.sleep(1_000)
    expect(claimed.hits()).toBe(hits)
    // The address's budget is free again: an honest server joins and is confirmed.
    const b = await server({ peers: [intro] })
    await until(() => intro.ctx.store.servers.get(b.serverId())?.confirmed === true, 5_000, 'b confirmed')
  })

  test('a server is listed to joiners only once it answered at its claimed address', async () => {
    const intro = await server()
    const b = await server({ peers: [intro] })
    const rogue = await stranger(intro, await testKey(ATTACKER_KEY), { port: claimedAddress().port })
    expect(rogue.outcome).toBe('linked')
    await until(() => intro.ctx.store.servers.get(b.serverId())?.confirmed === true, 5_000, 'b confirmed')
    expect(intro.ctx.store.servers.get(rogue.id)?.confirmed).toBe(false)
    const health = (await (await fetch(`http://127.0.0.1:${intro.port}/health`)).json()) as {
      servers: { server_id: string; confirmed: boolean }[]
    }
    expect(health.servers.find((s) => s.server_id === rogue.id)?.confirmed).toBe(false)
    // A later joiner hears of b (and links to it), never of the rogue.
    const c = await server({ peers: [intro] })
    await until(() => c.ctx.peers.has(b.serverId()), 5_000, 'c linked to b')
    expect(pins(c)).not.toContain(rogue.id)
    expect(pins(b)).not.toContain(rogue.id)
  })

  test('one key is one server: the same key under another id is refused', async () => {
    const intro = await server()
    const k = await testKey(ATTACKER_KEY)
    const first = await stranger(intro, k)
    expect(first.outcome).toBe('linked')
    const again = await stranger(intro, k, { id: randomUUID() })
    expect(again.outcome).toBe('refused')
    expect(pins(intro)).toEqual([first.id])
  })

  test('a restarted server redials confirmed servers; an unconfirmed one it only probes, 3 times at most, then forgets', async () => {
    const intro = await server()
    const b = await server({ peers: [intro] })
    await until(() => intro.ctx.store.servers.get(b.serverId())?.confirmed === true, 5_000, 'b confirmed')
    const claimed = claimedAddress()
    const rogue = await stranger(intro, await testKey(ATTACKER_KEY), { port: claimed.port })
    expect(rogue.outcome).toBe('linked')
    await until(() => claimed.hits() >= 1, 5_000, 'the first probe')
    // Stopped while the rogue is linked: its unconfirmed pin is still in the database.
    await stop(intro)
    const before = claimed.hits()
    const again = await server({ db: intro.db })
    await until(() => again.ctx.peers.has(b.serverId()), 5_000, 'b relinked')
    await until(
      () => again.ctx.store.servers.get(rogue.id) === null,
      10_000,
      'forgotten once its probes failed',
    )
    expect(claimed.hits() - before).toBeGreaterThanOrEqual(1)
    expect(claimed.hits() - before).toBeLessThanOrEqual(3)
    const after = claimed.hits()
    await Bun.sleep(1_500)
    expect(claimed.hits()).toBe(after)
    expect(again.ctx.peers.has(rogue.id)).toBe(false)
  })
})

describe('closed mesh (--join-secret-file)', () => {
  const SECRET = 'a mesh secret of ours, 32 chars.'

  test('members that prove the secret link and carry DMs; a stranger with a key of its own cannot link', async () => {
    const intro = await server({ joinSecret: SECRET })
    const b = await server({ joinSecret: SECRET, peers: [intro] })
    const c = await server({ joinSecret: SECRET, peers: [intro] })
    await until(() => [intro, b, c].every((s) => s.ctx.peers.size === 2), 5_000, 'a full mesh')
    for (const target of [intro, c]) {
      const s = await stranger(target, await testKey(ATTACKER_KEY))
      expect(s.outcome).toBe('refused')
      expect(pins(target)).not.toContain(s.id)
    }
    // The secret proves nothing when replayed: it is bound to the fresh nonce and both ids.
    const withSecret = await stranger(c, await testKey(ATTACKER_KEY + 1), { secret: SECRET })
    expect(withSecret.outcome).toBe('linked')
    const alice = await user(b, 'alice', 0)
    const bob = await user(c, 'bob', 1)
    await until(() => c.ctx.presence.locations.has(alice.userId!), 3_000, 'alice seen')
    const got = bob.next('dm', (m) => m.text === 'inside the closed mesh')
    await alice.tell('bob', 'inside the closed mesh')
    expect((await got).text).toBe('inside the closed mesh')
  })

  test('a server with another secret, or none, is refused both ways', async () => {
    const intro = await server({ joinSecret: SECRET })
    for (const joinSecret of ['another secret, also 32 chars...', undefined]) {
      const out = await startServer({
        host: '127.0.0.1',
        port: 0,
        serverId: 'auto',
        db: `${tempDir()}/s.db`,
        heartbeatMs: 100,
        linkTimeoutMs: 500,
        statusMs: 60_000,
        peers: [{ host: '127.0.0.1', port: intro.port }],
        keyPair: await testKey(ATTACKER_KEY + 2),
        ...(joinSecret && { joinSecret }),
      })
      try {
        await Bun.sleep(1_500)
        expect(out.ctx.peers.size).toBe(0)
        expect(intro.ctx.peers.size).toBe(0)
        expect(pins(intro)).toEqual([])
        // And the member does not link to it either when it dials out.
        const { linkTo } = await import('../../src/server/mesh/dialer.ts')
        linkTo(intro.ctx, out.serverId(), { host: '127.0.0.1', port: out.port })
        await Bun.sleep(1_000)
        expect(intro.ctx.peers.size).toBe(0)
      } finally {
        await out.stop()
      }
    }
  })
})

describe('the CLI reads the join secret from a file or SOCP_JOIN_SECRET', () => {
  const CLI = resolve(import.meta.dir, '../../src/cli.ts')
  /** Starts `socp server` and returns its output once it said what kind of mesh it runs, then stops it. */
  async function start(args: string[], env: Record<string, string> = {}) {
    const db = join(tempDir(), 's.db')
    const p = Bun.spawn(['bun', CLI, 'server', '--bind', 'ws://127.0.0.1:0', '--db', db, ...args], {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, SOCP_JOIN_SECRET: '', SOCP_KEY_PASSPHRASE: '', ...env },
    })
    let text = ''
    const dec = new TextDecoder()
    const read = async (r: ReadableStream<Uint8Array>) => {
      for await (const chunk of r) text += dec.decode(chunk)
    }
    const done = Promise.all([read(p.stdout), read(p.stderr)])
    const said = () => /closed mesh|open mesh|must be at least/.test(text)
    await Promise.race([until(said, 20_000, 'the mesh line'), p.exited])
    p.kill()
    const code = await p.exited
    await done
    return { text, code }
  }

  test('a file, the variable, none, and a secret too short to be one', async () => {
    const file = join(tempDir(), 'join-secret')
    writeFileSync(file, 'sixteen chars at least, here\n', { mode: 0o600 })
    expect((await start(['--join-secret-file', file])).text).toContain('closed mesh')
    expect((await start([], { SOCP_JOIN_SECRET: 'sixteen chars at least, here' })).text).toContain(
      'closed mesh',
    )
    expect((await start([])).text).toContain(
      'open mesh: any server that reaches this one may join (at most 16',
    )
    writeFileSync(file, 'short\n')
    const short = await start(['--join-secret-file', file])
    expect(short.text).toContain('the join secret must be at least 16 characters')
    expect(short.code).not.toBe(0)
  }, 60_000)
})
