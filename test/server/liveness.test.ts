/** @module Heartbeats and dead-link detection against a peer that goes silent without closing. */

import { expect, test } from 'bun:test'
import { signPayload } from '../../src/crypto/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'
import { testKey } from '../helpers/keys.ts'
import { AUTH, prove } from '../helpers/linkauth.ts'
import { FAST, server, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'

test('a linked server that falls silent is marked down within the link timeout, and gets heartbeats before', async () => {
  const s = await server()
  const key = await testKey(30)
  // The id its key makes: a server new to us must use it (docs/wire.md §10a).
  const SILENT_ID = serverIdFor(key.publicKey.spki)
  const peer = await connect(s.url)
  const payload = { host: '127.0.0.1', port: 9, pubkey: key.publicKey.spki, ...AUTH }
  peer.send({
    type: 'SERVER_HELLO_LINK',
    from: SILENT_ID,
    to: s.serverId(),
    ts: Date.now(),
    payload,
    sig: await signPayload(key.privateKey, payload),
  })
  await prove(peer, key, SILENT_ID)
  const reply = await peer.next('SERVER_HELLO_LINK')
  expect(reply.from).toBe(s.serverId())
  await until(() => s.ctx.peers.has(SILENT_ID), 2_000, 'linked')
  const hb = await peer.next('HEARTBEAT', FAST.heartbeatMs * 5)
  expect(hb.payload).toEqual({})
  const linkedAt = Date.now()
  // The peer never says anything again, and never closes its socket.
  await until(() => !s.ctx.peers.has(SILENT_ID), FAST.linkTimeoutMs * 4, 'silent peer marked down')
  expect(Date.now() - linkedAt).toBeGreaterThanOrEqual(FAST.linkTimeoutMs - FAST.heartbeatMs * 2)
  const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as {
    servers: { server_id: string; up: boolean }[]
  }
  // Never confirmed at its address (port 9) and with no users, it is forgotten altogether (issue 10).
  expect(health.servers.find((x) => x.server_id === SILENT_ID)).toBeUndefined()
})

test('a connection that never says hello is closed', async () => {
  const s = await server({ helloTimeoutMs: 200 })
  const idle = await connect(s.url)
  const closed = await Promise.race([idle.closed, Bun.sleep(2_000).then(() => null)])
  expect(closed?.code).toBe(1008)
  expect(s.ctx.peers.links.size).toBe(0)
})
