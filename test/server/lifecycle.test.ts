/**
 * @module Server-link lifecycle against raw WebSocket peers (issue 16): a joiner that hangs up at
 * once is redialed, WebSocket pings keep a link alive, and an introducer is not retried for ever.
 */

import { expect, test } from 'bun:test'
import { signPayload } from '../../src/crypto/index.ts'
import type { ServerHandle } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { FAST, server, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'
import { listen } from '../interop/_foreign.ts'

const JOINER_ID = '10000000-0000-4000-8000-00000000a001'
const PINGER_ID = '10000000-0000-4000-8000-00000000a002'

async function signed(i: number, type: string, from: string, to: string, payload: Record<string, unknown>) {
  const key = await testKey(i)
  return { type, from, to, ts: Date.now(), payload, sig: await signPayload(key.privateKey, payload) }
}

test('a server that joins through us and hangs up right after SERVER_WELCOME is redialed', async () => {
  const s = await server()
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
  const s = await server({ linkTimeoutMs: 60_000 })
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
  const s = await server()
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
  const intro = { id: PINGER_ID, key: await testKey(41) }
  const introL = listen(async (f) =>
    f.type === 'SERVER_HELLO_JOIN'
      ? [
          await signed(41, 'SERVER_WELCOME', intro.id, f.from, {
            assigned_id: null,
            server_pub: intro.key.publicKey.spki,
          }),
        ]
      : [],
  )
  const s = await server({ peers: [{ port: introL.port } as ServerHandle] })
  await until(() => s.ctx.peers.has(PINGER_ID), 2_000, 'linked')
  await keepBeating(() => introL.ping(), FAST.linkTimeoutMs * 3)
  expect(s.ctx.peers.has(PINGER_ID)).toBe(true)
})
