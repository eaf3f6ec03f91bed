/**
 * @module TLS on real servers over loopback: a mesh over wss:// with a private CA, /health over
 * https, peers pinned with TLS and dialed at wss://, and clients or servers that do not trust the
 * CA refused. Needs `openssl` to make the CA; says so and skips without it.
 */

import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientTls } from '../../src/net/index.ts'
import { type ServerHandle, startServer } from '../../src/server/index.ts'
import { myAddress } from '../../src/server/mesh/dialer.ts'
import { type Ca, HAVE_OPENSSL, type Issued, issue, makeCa } from '../helpers/certs.ts'
import { testKey } from '../helpers/keys.ts'
import { FAST, server, tempDir, until } from '../helpers/servers.ts'
import { connectUser, user } from '../helpers/users.ts'

if (!HAVE_OPENSSL) console.warn('test/net/tls.test.ts skipped: openssl is not installed')

let ca: Ca
let leaf: Issued
let strangerCa: Ca
const extra: ServerHandle[] = []
afterEach(async () => {
  await Promise.all(extra.splice(0).map((s) => s.stop()))
})

// The certificates outlive each test (the helpers' temp dirs do not).
const certDir = mkdtempSync(join(tmpdir(), 'socp-certs-'))
afterAll(() => rmSync(certDir, { recursive: true, force: true }))
beforeAll(() => {
  if (!HAVE_OPENSSL) return
  ca = makeCa(mkdtempSync(join(certDir, 'ca-')))
  leaf = issue(ca, 'server', ['127.0.0.1', '::1', 'localhost'])
  strangerCa = makeCa(mkdtempSync(join(certDir, 'stranger-')), 'another CA')
})

const withTls = () => ({ tls: { certFile: leaf.cert, keyFile: leaf.key }, trust: { caFile: ca.cert } })

describe.skipIf(!HAVE_OPENSSL)('TLS', () => {
  test('three servers form the mesh over wss:// with a private CA; /health is https; peers are pinned with TLS', async () => {
    const a = await server(withTls())
    const b = await server({ ...withTls(), peers: [a] })
    const c = await server({ ...withTls(), peers: [a] })
    expect(a.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/)
    // b and c learn each other from a (WELCOME or SERVER_ANNOUNCE with tls: true) and dial wss://.
    await until(() => [a, b, c].every((s) => s.ctx.peers.size === 2), 10_000, 'full mesh over TLS')
    expect(b.ctx.store.servers.get(c.serverId())).toMatchObject({
      host: '127.0.0.1',
      port: c.port,
      tls: true,
    })
    expect(c.ctx.store.servers.get(b.serverId())?.tls).toBe(true)

    const ca_ = readFileSync(ca.cert, 'utf8')
    const health = await fetch(`https://127.0.0.1:${a.port}/health`, { tls: { ca: ca_ } })
    const both = { up: true, tls: true }
    expect(await health.json()).toMatchObject({
      tls: true,
      host: '127.0.0.1',
      port: a.port,
      servers: [both, both],
    })

    const trust = clientTls({ caFile: ca.cert })
    const alice = await user(b, 'alice', 0, trust)
    const bob = await user(c, 'bob', 1, trust)
    await until(async () => (await alice.list()).length === 2, 5_000, 'both online')
    const got = bob.next('dm')
    await alice.tell('bob', 'over TLS, across servers')
    expect((await got).text).toBe('over TLS, across servers')
  }, 60_000)

  test('a client that does not trust the CA is refused; --ca or an explicit --insecure-skip-verify gets in', async () => {
    const a = await server(withTls())
    await expect(connectUser(a)).rejects.toThrow(/could not connect to wss:.*(certificate|verify)/)
    await expect(connectUser(a, tempDir(), clientTls({ caFile: strangerCa.cert }))).rejects.toThrow(
      /certificate|verify/,
    )
    const ok = await connectUser(a, tempDir(), clientTls({ caFile: ca.cert }))
    expect(ok).toBeDefined()
    const insecure = await connectUser(a, tempDir(), clientTls({ insecureSkipVerify: true }))
    expect(insecure).toBeDefined()
  }, 30_000)

  test('a server that does not trust the CA is never linked, and a plain ws:// dial to a TLS port fails', async () => {
    const a = await server(withTls())
    for (const [i, peer] of [
      { host: '127.0.0.1', port: a.port, tls: true },
      { host: '127.0.0.1', port: a.port, tls: false },
    ].entries()) {
      const s = await startServer({
        host: '127.0.0.1',
        port: 0,
        serverId: 'auto',
        db: ':memory:',
        ...FAST,
        peers: [peer],
        keyPair: await testKey(70 + i),
        trust: { caFile: strangerCa.cert },
      })
      extra.push(s)
    }
    await Bun.sleep(1_500)
    expect(a.ctx.peers.size).toBe(0)
    expect(a.ctx.store.servers.all()).toHaveLength(0)
    for (const s of extra) expect(s.ctx.peers.size).toBe(0)
  }, 30_000)

  test('only a TLS server says tls in its hellos: a plain server sends exactly the spec fields', async () => {
    const plain = await server()
    const tls = await server(withTls())
    expect(Object.keys(myAddress(plain.ctx)).sort()).toEqual(['host', 'port', 'pubkey'])
    expect(myAddress(tls.ctx)).toMatchObject({ host: '127.0.0.1', port: tls.port, tls: true })
  })

  test('an unreadable certificate, key or CA stops the start with the flag and file named', async () => {
    const base = {
      host: '127.0.0.1',
      port: 0,
      serverId: 'auto',
      db: ':memory:',
      peers: [],
      keyPair: await testKey(72),
    }
    await expect(
      startServer({ ...base, tls: { certFile: '/nonexistent.pem', keyFile: leaf.key } }),
    ).rejects.toThrow(/--tls-cert \/nonexistent\.pem/)
    await expect(startServer({ ...base, tls: { certFile: leaf.key, keyFile: leaf.key } })).rejects.toThrow(
      /--tls-cert .*not a PEM file/,
    )
    await expect(startServer({ ...base, trust: { caFile: '/nonexistent-ca.pem' } })).rejects.toThrow(/--ca/)
  })

  test('a certificate that names another host is refused even with the right CA', async () => {
    const other = issue(ca, 'other', ['other.example'])
    const a = await server({ tls: { certFile: other.cert, keyFile: other.key } })
    await expect(connectUser(a, tempDir(), clientTls({ caFile: ca.cert }))).rejects.toThrow(
      /altnames|hostname|match/i,
    )
  })
})
