/**
 * @module Choosing the advertised address (PROTOCOL.md §4 "Addresses") and reading peers'
 * addresses: never a wildcard, loopback only when every server is on this host; IPv6 in brackets.
 */

import { afterEach, describe, expect, test } from 'bun:test'
import type { NetworkInterfaceInfo } from 'node:os'
import { hostPort, parseWsUrl, wsUrl } from '../../src/net/index.ts'
import { chooseAdvertised, localAddressTowards, reachableHost } from '../../src/server/advertise.ts'
import { type ServerHandle, startServer } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { FAST, server, until } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'
import { foreign, frame } from '../interop/_foreign.ts'

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, scopeid: 0 }) as NetworkInterfaceInfo
const HOST = () => ({
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('fe80::1', 'IPv6'), iface('2001:db8::5', 'IPv6'), iface('198.18.0.7', 'IPv4')],
})
const V6_ONLY = () => ({
  lo: [iface('::1', 'IPv6', true)],
  eth0: [iface('fe80::1', 'IPv6'), iface('2001:db8::5', 'IPv6')],
})
const LOOPBACK_ONLY = () => ({ lo: [iface('127.0.0.1', 'IPv4', true)] })
const intro = (url: string) => parseWsUrl(url)

describe('chooseAdvertised', () => {
  test('--advertise wins, and must be wss:// on a TLS server', async () => {
    const advertise = intro('wss://chat.example.org:443')
    const c = await chooseAdvertised({
      bind: { host: '0.0.0.0', port: 8765 },
      tls: true,
      advertise,
      introducers: [],
    })
    expect(c).toEqual({ addr: advertise, why: 'set by --advertise' })
    await expect(
      chooseAdvertised({
        bind: { host: '0.0.0.0', port: 1 },
        tls: true,
        advertise: intro('ws://a.example:1'),
        introducers: [],
      }),
    ).rejects.toThrow(/use wss/)
  })

  test('a specific bind address is advertised as it is', async () => {
    const c = await chooseAdvertised({
      bind: { host: '198.18.0.3', port: 9000 },
      tls: false,
      introducers: [],
    })
    expect(c.addr).toEqual({ host: '198.18.0.3', port: 9000, tls: false })
  })

  test('a wildcard bind on an introducer advertises the first non-loopback IPv4 address, never 0.0.0.0', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const c = await chooseAdvertised({
        bind: { host, port: 8765 },
        tls: false,
        introducers: [],
        interfaces: HOST,
      })
      expect(c.addr).toEqual({ host: '198.18.0.7', port: 8765, tls: false })
      expect(c.why).toContain('first non-loopback address of this host (eth0)')
    }
  })

  test('[::] on an IPv6-only host advertises its global IPv6 address (not link-local), printed in brackets', async () => {
    const c = await chooseAdvertised({
      bind: { host: '::', port: 8765 },
      tls: true,
      introducers: [],
      interfaces: V6_ONLY,
    })
    expect(wsUrl(c.addr)).toBe('wss://[2001:db8::5]:8765')
  })

  test('a wildcard bind with an introducer on this host falls back to the interface address', async () => {
    const c = await chooseAdvertised({
      bind: { host: '0.0.0.0', port: 8766 },
      tls: false,
      introducers: [intro('ws://127.0.0.1:8765')],
      interfaces: HOST,
    })
    expect(c.addr.host).toBe('198.18.0.7')
  })

  test('with nothing but loopback, 127.0.0.1 with a warning — and refused when the introducer is on another host', async () => {
    const c = await chooseAdvertised({
      bind: { host: '0.0.0.0', port: 1 },
      tls: false,
      introducers: [],
      interfaces: LOOPBACK_ONLY,
    })
    expect(c.addr.host).toBe('127.0.0.1')
    expect(c.warning).toMatch(/only servers on this host/)
    // The probe cannot resolve this introducer, and loopback is all the host has.
    const remote = [intro('ws://unresolvable.invalid:8765')]
    await expect(
      chooseAdvertised({
        bind: { host: '0.0.0.0', port: 1 },
        tls: false,
        introducers: remote,
        interfaces: LOOPBACK_ONLY,
      }),
    ).rejects.toThrow(/loopback/)
  })

  test('a loopback bind or --advertise with an introducer on another host is refused at start', async () => {
    const introducers = [intro('ws://198.18.0.1:8765')]
    await expect(
      chooseAdvertised({ bind: { host: '127.0.0.1', port: 1 }, tls: false, introducers }),
    ).rejects.toThrow(/cannot reach: bind 0\.0\.0\.0/)
    await expect(
      chooseAdvertised({
        bind: { host: '0.0.0.0', port: 1 },
        tls: false,
        advertise: intro('ws://[::1]:1'),
        introducers,
      }),
    ).rejects.toThrow(/loopback/)
  })

  test('the UDP probe reads the source address toward a host without sending anything', async () => {
    expect(await localAddressTowards('127.0.0.1', true)).toBe('127.0.0.1')
    expect(await localAddressTowards('unresolvable.invalid', true)).toBeNull()
  })
})

describe('addresses', () => {
  test('a wildcard or a loopback claim from another host is replaced by where the connection came from', () => {
    expect(reachableHost('0.0.0.0', '::ffff:198.18.0.2')).toBe('198.18.0.2')
    expect(reachableHost('::', '2001:db8::9')).toBe('2001:db8::9')
    expect(reachableHost('127.0.0.1', '198.18.0.2')).toBe('198.18.0.2')
    expect(reachableHost('127.0.0.1', '127.0.0.1')).toBe('127.0.0.1')
    expect(reachableHost('chat.example.org', '198.18.0.2')).toBe('chat.example.org')
    expect(reachableHost('0.0.0.0', null)).toBeNull()
  })

  test('URLs: IPv6 in brackets, scheme kept, junk refused', () => {
    expect(parseWsUrl('ws://[::1]:8765')).toEqual({ host: '::1', port: 8765, tls: false })
    expect(parseWsUrl('wss://chat.example.org:443/')).toEqual({
      host: 'chat.example.org',
      port: 443,
      tls: true,
    })
    expect(hostPort('2001:db8::1', 80)).toBe('[2001:db8::1]:80')
    expect(wsUrl({ host: '198.18.0.1', port: 1, tls: true })).toBe('wss://198.18.0.1:1')
    for (const bad of [
      'ws://::1:8765',
      'ws://[::1]8765',
      'ws://a..b:1',
      'ws://-a:1',
      'ws://1.2.3:1',
      'http://a:1',
    ])
      expect(() => parseWsUrl(bad)).toThrow()
  })
})

describe('peers that advertise their wildcard bind', () => {
  test('a joiner claiming 0.0.0.0 is recorded, and listed to others, at the address it connected from', async () => {
    const ours = await server()
    const fx = await foreign(30)
    const peer = await connect(ours.url)
    peer.send(
      frame(fx, 'SERVER_HELLO_JOIN', hostPort('127.0.0.1', ours.port), {
        host: '0.0.0.0',
        port: 9,
        pubkey: fx.pemB64u,
      }),
    )
    await peer.next('SERVER_WELCOME')
    expect(ours.ctx.store.servers.get(fx.id)).toMatchObject({ host: '127.0.0.1', port: 9, tls: false })
    // A server joining later is told 127.0.0.1:9, never 0.0.0.0:9.
    const later = await connect(ours.url)
    const fy = await foreign(31)
    later.send(
      frame(fy, 'SERVER_HELLO_JOIN', hostPort('127.0.0.1', ours.port), {
        host: '127.0.0.1',
        port: 10,
        pubkey: fy.pemB64u,
      }),
    )
    const welcome = await later.next('SERVER_WELCOME')
    expect(welcome.payload.servers).toEqual([
      { server_id: fx.id, host: '127.0.0.1', port: 9, pubkey: fx.key.publicKey.spki },
    ])
  })
})

describe('IPv6 loopback', () => {
  const running: ServerHandle[] = []
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()))
  })

  test('two servers on [::1] form a link; every URL they print is bracketed', async () => {
    const base = { port: 0, serverId: 'auto', db: ':memory:', ...FAST }
    const a = await startServer({ ...base, host: '::1', peers: [], keyPair: await testKey(60) })
    running.push(a)
    expect(a.url).toMatch(/^ws:\/\/\[::1\]:\d+$/)
    const b = await startServer({
      ...base,
      host: '::1',
      peers: [{ host: '::1', port: a.port }],
      keyPair: await testKey(61),
    })
    running.push(b)
    await until(() => a.ctx.peers.size === 1 && b.ctx.peers.size === 1, 5_000, 'a link over ::1')
    expect(a.ctx.store.servers.get(b.serverId())).toMatchObject({ host: '::1', port: b.port })
    const health = await fetch(`http://[::1]:${a.port}/health`)
    expect(await health.json()).toMatchObject({ host: '::1', servers: [{ host: '::1', up: true }] })
  })
})
