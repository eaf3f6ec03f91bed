/** @module Introducer bootstrap and the full mesh, on real servers and sockets. */

import { expect, test } from 'bun:test'
import { FAST, mesh, server, stop, until } from '../helpers/servers.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('an introducer and three servers form a full mesh, visible on /health', async () => {
  const all = await mesh(3)
  for (const s of all) {
    expect(s.serverId()).toMatch(UUID_V4)
    const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as {
      server_id: string
      servers: { server_id: string; up: boolean }[]
    }
    expect(health.server_id).toBe(s.serverId())
    const others = all.filter((o) => o !== s).map((o) => o.serverId())
    expect(
      health.servers
        .filter((x) => x.up)
        .map((x) => x.server_id)
        .sort(),
    ).toEqual(others.sort())
  }
})

test('a killed server is marked down, then links back on restart with the same id', async () => {
  const [intro, a, b] = await mesh(2)
  const id = b!.serverId()
  await stop(b!)
  await until(
    () => !intro!.ctx.peers.has(id) && !a!.ctx.peers.has(id),
    FAST.linkTimeoutMs * 4,
    'b marked down',
  )
  const again = await server({ db: b!.db, port: b!.port, peers: [intro!] })
  expect(again.serverId()).toBe(id)
  await until(
    () => intro!.ctx.peers.has(id) && a!.ctx.peers.has(id) && again.ctx.peers.size === 2,
    5_000,
    'b linked back',
  )
  await Bun.sleep(300)
  expect(again.ctx.peers.size).toBe(2)
  expect(intro!.ctx.peers.links.size).toBe(2)
})

test('a restarted introducer keeps its id and gets its links back from both sides', async () => {
  const [intro, a, b] = await mesh(2)
  const id = intro!.serverId()
  await stop(intro!)
  await until(
    () => !a!.ctx.peers.has(id) && !b!.ctx.peers.has(id),
    FAST.linkTimeoutMs * 4,
    'introducer marked down',
  )
  const again = await server({ db: intro!.db, port: intro!.port })
  expect(again.serverId()).toBe(id)
  await until(
    () => again.ctx.peers.size === 2 && a!.ctx.peers.has(id) && b!.ctx.peers.has(id),
    8_000,
    'introducer linked back',
  )
  expect(a!.ctx.peers.has(b!.serverId())).toBe(true)
})

test('two servers that dial each other at once keep exactly one link between them', async () => {
  const [intro, a] = await mesh(1)
  await Promise.all([stop(intro!), stop(a!)])
  // Both restart together and both dial the other from their pinned peers: a simultaneous-dial race.
  const [i2, a2] = await Promise.all([
    server({ db: intro!.db, port: intro!.port }),
    server({ db: a!.db, port: a!.port }),
  ])
  await until(() => i2.ctx.peers.size === 1 && a2.ctx.peers.size === 1, 5_000, 'linked again')
  await Bun.sleep(FAST.heartbeatMs * 5)
  expect(i2.ctx.peers.links.size).toBe(1)
  expect(a2.ctx.peers.links.size).toBe(1)
  expect(i2.ctx.peers.get(a2.serverId())?.closed).toBe(false)
  expect(a2.ctx.peers.get(i2.serverId())?.closed).toBe(false)
})
