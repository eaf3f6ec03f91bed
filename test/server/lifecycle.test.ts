/**
 * @module Server-link lifecycle against raw WebSocket peers (issue 16): a joiner that hangs up at
 * once is redialed, WebSocket pings keep a link alive, and an introducer is not retried for ever.
 */

import { expect, test } from 'bun:test'
import { signPayload } from '../../src/crypto/index.ts'
import { testKey } from '../helpers/keys.ts'
import { FAST, server, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'
import { listen } from '../interop/_foreign.ts'

const JOINER_ID = '10000000-0000-4000-8000-00000000a001'

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
