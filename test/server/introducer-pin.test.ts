/**
 * @module `--peer ws://HOST:PORT#sha256:<fingerprint>` (issue 16): the fingerprint our start log
 * prints pins the introducer's key; an introducer presenting another key is refused loudly, and
 * nothing it says is pinned or linked.
 */

import { afterEach, expect, test } from 'bun:test'
import { join } from 'node:path'
import { parseServerArgs } from '../../src/config.ts'
import { signPayload } from '../../src/crypto/index.ts'
import { setLogSink } from '../../src/log.ts'
import { type ServerHandle, type ServerOptions, startServer } from '../../src/server/index.ts'
import { testKey } from '../helpers/keys.ts'
import { FAST, server, tempDir, until } from '../helpers/servers.ts'
import { listen } from '../interop/_foreign.ts'

const IMPOSTOR_ID = '10000000-0000-4000-8000-00000000b001'

let lines: string[] = []
setLogSink((l) => lines.push(l))
afterEach(() => {
  lines = []
})

/** A server joining through `peer` (a `--peer` value), not waiting for the join: it may never succeed. */
async function joiner(
  peer: string,
  keyIndex: number,
  extra: Partial<ServerOptions> = {},
): Promise<ServerHandle> {
  const { peers } = parseServerArgs(['--peer', peer])
  const s = await startServer({
    host: '127.0.0.1',
    port: 0,
    serverId: 'auto',
    ...FAST,
    db: join(tempDir(), 'joiner.db'),
    peers,
    keyPair: await testKey(keyIndex),
    logLevel: 'info',
    ...extra,
  })
  stops.push(s)
  return s
}
const stops: ServerHandle[] = []
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s.stop()))
})

test('the fingerprint an introducer prints at start pins it: a joiner given it links', async () => {
  const intro = await server({ logLevel: 'info' })
  const banner = lines.find((l) => l.includes(`join with --peer ${intro.url}#sha256:`))
  const pin = /#(sha256:[0-9a-f:]+)/.exec(banner ?? '')?.[1]
  expect(pin).toMatch(/^sha256:([0-9a-f]{4}:){15}[0-9a-f]{4}$/)
  const s = await joiner(`${intro.url}#${pin}`, 43)
  expect(await s.joined).toBe(true)
  expect(s.ctx.peers.has(intro.serverId())).toBe(true)
  expect(lines.some((l) => l.includes(`(key pinned: ${pin})`))).toBe(true)
})

test('an introducer presenting another key than the pinned one is refused loudly: nothing pinned, no link', async () => {
  const impostorKey = await testKey(44)
  const welcomes: string[] = []
  const impostor = listen(async (f) => {
    if (f.type !== 'SERVER_HELLO_JOIN') return []
    const payload = { assigned_id: null, server_pub: impostorKey.publicKey.spki, servers: [], clients: [] }
    welcomes.push(f.from)
    return [
      {
        type: 'SERVER_WELCOME',
        from: IMPOSTOR_ID,
        to: f.from,
        ts: Date.now(),
        payload,
        sig: await signPayload(impostorKey.privateKey, payload),
      },
    ]
  })
  // The operator pinned the real introducer's key (another test key).
  const real = (await server({ logLevel: 'info' })).url
  const pin = /#(sha256:[0-9a-f:]+)/.exec(lines.find((l) => l.includes(`--peer ${real}#`)) ?? '')?.[1]
  // The impostor plays another implementation, which the operator allows (--allow-legacy-peers).
  const s = await joiner(`ws://127.0.0.1:${impostor.port}#${pin}`, 43, { allowLegacyPeers: true })
  await until(() => welcomes.length >= 1, 5_000, 'a welcome from the impostor')
  await until(
    () => lines.some((l) => l.includes('ERROR') && l.includes(`--peer pins ${pin}`)),
    5_000,
    'the refusal in the log',
  )
  await Bun.sleep(300)
  expect(s.ctx.peers.size).toBe(0)
  expect(s.ctx.store.servers.get(IMPOSTOR_ID)).toBeFalsy()
  expect([...s.ctx.peers.links].every((l) => l.peerId === null)).toBe(true)
})

test('an impostor of our own implementation, proving its own key, is refused at its challenge', async () => {
  const real = (await server({ logLevel: 'info' })).url
  const pin = /#(sha256:[0-9a-f:]+)/.exec(lines.find((l) => l.includes(`--peer ${real}#`)) ?? '')?.[1]
  const impostor = await server()
  const s = await joiner(`${impostor.url}#${pin}`, 43)
  await until(
    () => lines.some((l) => l.includes('ERROR') && l.includes(`--peer pins ${pin}`)),
    5_000,
    'the refusal in the log',
  )
  await Bun.sleep(300)
  expect(s.ctx.peers.size).toBe(0)
  expect(s.ctx.store.servers.get(impostor.serverId())).toBeFalsy()
  expect(impostor.ctx.peers.size).toBe(0)
})

test('--peer takes a pin as printed or as 64 bare hex digits, and refuses a malformed one', () => {
  const hex = 'ab12'.repeat(16)
  const grouped = hex.match(/.{4}/g)?.join(':')
  expect(parseServerArgs(['--peer', `ws://127.0.0.1:8765#sha256:${grouped}`]).peers).toEqual([
    { host: '127.0.0.1', port: 8765, tls: false, fingerprint: hex },
  ])
  expect(
    parseServerArgs(['--peer', `wss://h.example:1#sha256:${hex.toUpperCase()}`]).peers[0]?.fingerprint,
  ).toBe(hex)
  expect(parseServerArgs(['--peer', 'ws://127.0.0.1:8765']).peers[0]).not.toHaveProperty('fingerprint')
  for (const bad of ['#sha256:abcd', `#md5:${hex}`, `#${hex}`, `#sha256:${hex}00`])
    expect(() => parseServerArgs(['--peer', `ws://127.0.0.1:8765${bad}`])).toThrow('#sha256:')
})
