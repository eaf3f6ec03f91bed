/**
 * @module Server-link lifecycle against raw WebSocket peers (issue 16): a joiner that hangs up at
 * once is redialed, WebSocket pings keep a link alive, and an introducer is not retried for ever.
 */

import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { signPayload } from '../../src/crypto/index.ts'
import { setLogSink } from '../../src/log.ts'
import { type ServerHandle, startServer } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { FAST, server, stop, tempDir, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'
import { listen } from '../interop/_foreign.ts'

const JOINER_ID = '10000000-0000-4000-8000-00000000a001'
/** The raw peers here play other implementations, which cannot answer SERVER_CHALLENGE. */
const LEGACY = { allowLegacyPeers: true }
const PINGER_ID = '10000000-0000-4000-8000-00000000a002'

async function signed(i: number, type: string, from: string, to: string, payload: Record<string, unknown>) {
  const key = await testKey(i)
  return { type, from, to, ts: Date.now(), payload, sig: await signPayload(key.privateKey, payload) }
}

/** A legacy introducer (test key `n`, id `id`) that answers a join with a WELCOME, listing `servers`. */
async function welcomingIntroducer(n: number, id: string, servers?: Record<string, unknown>[]) {
  const key = await testKey(n)
  return listen(async (f) =>
    f.type === 'SERVER_HELLO_JOIN'
      ? [
          await signed(n, 'SERVER_WELCOME', id, f.from, {
            assigned_id: null,
            server_pub: key.publicKey.spki,
            ...(servers && { servers }),
          }),
        ]
      : [],
  )
}

test('a server that joins through us and hangs up right after SERVER_WELCOME is redialed', async () => {
  const s = await server(LEGACY)
  const key = await testKey(40)
  // Where the joiner says it listens: our redial must arrive here.
  const home = listen(() => [])
  const joiner = await connect(s.url)
  joiner.send(
    await signed(40, 'SERVER_HELLO_JOIN', JOINER_ID, '*', {
      host: '127.0.0.1',
      port: home.port,
      pubkey: key.publicKey.spki,
    }),
  )
  const welcome = await joiner.next('SERVER_WELCOME')
  expect(welcome.to).toBe(JOINER_ID)
  joiner.close()
  const redial = await home.next('SERVER_HELLO_LINK', 5_000)
  expect(redial.from).toBe(s.serverId())
  expect(redial.to).toBe(JOINER_ID)
})

test('a joiner that hangs up before our SERVER_WELCOME is sent is not left linked, and is redialed', async () => {
  // A long link timeout: the dead-link sweep must not be what notices it.
  const s = await server({ linkTimeoutMs: 60_000, ...LEGACY })
  const key = await testKey(40)
  const home = listen(() => [])
  const joiner = await connect(s.url)
  joiner.send(
    await signed(40, 'SERVER_HELLO_JOIN', JOINER_ID, '*', {
      host: '127.0.0.1',
      port: home.port,
      pubkey: key.publicKey.spki,
    }),
  )
  joiner.close()
  const redial = await home.next('SERVER_HELLO_LINK', 5_000)
  expect(redial.to).toBe(JOINER_ID)
  expect(s.ctx.peers.get(JOINER_ID)?.closed).not.toBe(true)
})

/** Calls `beat` every heartbeat interval for `ms`. */
async function keepBeating(beat: () => void, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    beat()
    await Bun.sleep(FAST.heartbeatMs)
  }
}

test('WebSocket pings keep a server link we accepted alive, with no HEARTBEAT frames', async () => {
  const s = await server(LEGACY)
  const key = await testKey(41)
  const peer = await connect(s.url)
  peer.send(
    await signed(41, 'SERVER_HELLO_LINK', PINGER_ID, s.serverId(), {
      host: '127.0.0.1',
      port: 9,
      pubkey: key.publicKey.spki,
    }),
  )
  await peer.next('SERVER_HELLO_LINK')
  await until(() => s.ctx.peers.has(PINGER_ID), 2_000, 'linked')
  // Three link timeouts of pings only: never a frame.
  await keepBeating(() => peer.ws.ping(), FAST.linkTimeoutMs * 3)
  expect(s.ctx.peers.has(PINGER_ID)).toBe(true)
  // And once the pings stop, the link is dead as before.
  await until(() => !s.ctx.peers.has(PINGER_ID), FAST.linkTimeoutMs * 4, 'marked down')
})

test('WebSocket pings keep a server link we dialed alive, with no HEARTBEAT frames', async () => {
  const introL = await welcomingIntroducer(41, PINGER_ID)
  const s = await server({ peers: [{ port: introL.port } as ServerHandle], ...LEGACY })
  await until(() => s.ctx.peers.has(PINGER_ID), 2_000, 'linked')
  await keepBeating(() => introL.ping(), FAST.linkTimeoutMs * 3)
  expect(s.ctx.peers.has(PINGER_ID)).toBe(true)
})

/** An "introducer" that takes each connection and hangs up at once, counting the attempts. */
function refusingIntroducer() {
  let attempts = 0
  const bun = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req, s) => (s.upgrade(req) ? undefined : new Response('ws only', { status: 400 })),
    websocket: {
      open(ws) {
        attempts++
        ws.close(1013, 'try again later')
      },
      message() {},
    },
  })
  return { port: bun.port ?? 0, attempts: () => attempts, stop: () => bun.stop(true) }
}

test('an unreachable introducer is not retried while we hold a server link, and is once none is left', async () => {
  const intro = refusingIntroducer()
  const lines: string[] = []
  setLogSink((l) => lines.push(l))
  const s = await startServer({
    host: '127.0.0.1',
    port: 0,
    serverId: 'auto',
    ...FAST,
    db: join(tempDir(), 'server.db'),
    peers: [{ host: '127.0.0.1', port: intro.port }],
    keyPair: await testKey(42),
    logLevel: 'info',
    ...LEGACY,
  })
  try {
    await until(() => intro.attempts() >= 2, 5_000, 'join attempts')
    // Another server links with us: we are in a mesh now.
    const key = await testKey(41)
    const peer = await connect(s.url)
    peer.send(
      await signed(41, 'SERVER_HELLO_LINK', PINGER_ID, s.ctx.me.serverId, {
        host: '127.0.0.1',
        port: 9,
        pubkey: key.publicKey.spki,
      }),
    )
    await until(() => s.ctx.peers.has(PINGER_ID), 2_000, 'linked')
    await keepBeating(() => peer.ws.ping(), 1_500)
    const settled = intro.attempts()
    await keepBeating(() => peer.ws.ping(), 3_000)
    // Backoff from 100 ms would have made several more attempts in these 3 s.
    expect(intro.attempts()).toBe(settled)
    expect(lines.some((l) => /not retrying/.test(l) && l.includes(`127.0.0.1:${intro.port}`))).toBe(true)
    // The mesh link goes: the introducer is tried again.
    peer.close()
    await until(() => intro.attempts() > settled, 5_000, 'the join resumed')
  } finally {
    setLogSink((l) => process.stderr.write(`${l}\n`))
    await s.stop()
    intro.stop()
  }
})

/**
 * An introducer like the seed's: it welcomes a SERVER_HELLO_JOIN and closes any connection that
 * opens with anything else ("Unexpected initial message: SERVER_HELLO_LINK").
 */
async function seedLikeIntroducer(id: string, keyIndex: number, port = 0) {
  const key = await testKey(keyIndex)
  /** The first frame of each connection, as "TYPE from". */
  const firsts: string[] = []
  const sockets = new Set<{ close(code?: number): void }>()
  const bun = Bun.serve<{ first: boolean }, never>({
    hostname: '127.0.0.1',
    port,
    fetch: (req, s) =>
      s.upgrade(req, { data: { first: true } }) ? undefined : new Response('ws only', { status: 400 }),
    websocket: {
      open: (ws) => void sockets.add(ws),
      close: (ws) => void sockets.delete(ws),
      async message(ws, msg) {
        if (!ws.data.first) return
        ws.data.first = false
        const f = JSON.parse(String(msg)) as { type: string; from: string }
        firsts.push(`${f.type} ${f.from}`)
        if (f.type !== 'SERVER_HELLO_JOIN') return ws.close(1008, `Unexpected initial message: ${f.type}`)
        const payload = { assigned_id: null, server_pub: key.publicKey.spki }
        ws.send(
          JSON.stringify({
            type: 'SERVER_WELCOME',
            from: id,
            to: f.from,
            ts: Date.now(),
            payload,
            sig: await signPayload(key.privateKey, payload),
          }),
        )
      },
    },
  })
  return {
    port: bun.port ?? 0,
    firsts,
    /** Drops every connection, as a restart of the relay in front of it did. */
    dropAll: () => {
      for (const s of sockets) s.close(1001)
    },
    stop: () => bun.stop(true),
  }
}

test('a lost link to a --peer introducer is redialed with SERVER_HELLO_JOIN, which the seed requires', async () => {
  const INTRO_ID = '10000000-0000-4000-8000-00000000a003'
  const intro = await seedLikeIntroducer(INTRO_ID, 45)
  try {
    const s = await server({ peers: [{ port: intro.port } as ServerHandle], ...LEGACY })
    expect(s.ctx.peers.has(INTRO_ID)).toBe(true)
    intro.dropAll()
    await until(() => !s.ctx.peers.has(INTRO_ID), 2_000, 'the link down')
    await until(() => s.ctx.peers.has(INTRO_ID), 5_000, 'linked again')
    const ours = intro.firsts.filter((f) => f.endsWith(s.serverId()))
    expect(ours).toEqual(ours.map(() => `SERVER_HELLO_JOIN ${s.serverId()}`))
    expect(ours.length).toBeGreaterThanOrEqual(2)
  } finally {
    intro.stop()
  }
})

test('a restarted server already linked to the mesh redials an introducer that welcomed it before', async () => {
  const INTRO_ID = '10000000-0000-4000-8000-00000000a004'
  let intro = await seedLikeIntroducer(INTRO_ID, 45)
  const port = intro.port
  const b = await server({ peers: [{ port } as ServerHandle], ...LEGACY })
  const x = await server({ peers: [b] })
  await until(() => b.ctx.peers.has(x.serverId()), 5_000, 'x linked with b')
  await stop(b)
  intro.stop()
  // b comes back while its introducer is down; it relinks with x (pinned) at once.
  const b2 = await startServer({ ...b.opts, port: 0, keyPair: undefined })
  try {
    await until(() => b2.ctx.peers.has(x.serverId()), 5_000, 'x linked with b again')
    // Long enough for the join to find the introducer down and pause (backoff starts at 100 ms).
    await Bun.sleep(1_000)
    intro = await seedLikeIntroducer(INTRO_ID, 45, port)
    // The seed-like introducer never dials anyone: b must come back to it, with a join.
    await until(() => b2.ctx.peers.has(INTRO_ID), 5_000, 'the introducer linked again')
    // (x, told of the introducer by b's WELCOME, tries it with SERVER_HELLO_LINK and is refused.)
    const fromB = intro.firsts.filter((f) => f.endsWith(b2.ctx.me.serverId))
    expect(fromB.length).toBeGreaterThanOrEqual(1)
    expect(fromB.every((f) => f.startsWith('SERVER_HELLO_JOIN '))).toBe(true)
  } finally {
    await b2.stop()
    intro.stop()
  }
})

test('a WELCOME never makes us dial where no server is: link-local and multicast entries are skipped (issue 10)', async () => {
  const introId = '10000000-0000-4000-8000-00000000a005'
  const listed = await testKey(47)
  const entry = (host: string, n: number) => ({
    server_id: `10000000-0000-4000-8000-00000000b00${n}`,
    host,
    port: 80,
    pubkey: listed.publicKey.spki,
  })
  const introL = await welcomingIntroducer(46, introId, [entry('169.254.169.254', 1), entry('224.0.0.1', 2)])
  const s = await server({ peers: [{ port: introL.port } as ServerHandle], ...LEGACY })
  await until(() => s.ctx.peers.has(introId), 2_000, 'linked')
  await Bun.sleep(300)
  expect(s.ctx.store.servers.all().map((p) => p.serverId)).toEqual([introId])
  expect([...s.ctx.peers.links].filter((l) => l.direction === 'out' && l.remote.endsWith(':80'))).toEqual([])
})
