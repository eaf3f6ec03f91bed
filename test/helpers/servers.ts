/** @module Real servers on port 0 with real SQLite files in a temp dir, stopped after each test. */

import { afterEach } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setLogLevel } from '../../src/log.ts'
import { parseWsUrl } from '../../src/net/index.ts'
import { type ServerHandle, type ServerOptions, startServer } from '../../src/server/index.ts'
import { testKey } from './keys.ts'

setLogLevel((process.env.SOCP_TEST_LOG as 'debug' | undefined) ?? 'error')

const running = new Set<ServerHandle>()
/** Server identity keys come from the shared test-key pool, above the indices tests use for users. */
const SERVER_KEYS = 50
let serverCount = 0
const dirs: string[] = []

afterEach(async () => {
  await Promise.all([...running].map((s) => s.stop().catch(() => {})))
  running.clear()
  serverCount = 0
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** A fresh temp folder removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'socp-test-'))
  dirs.push(d)
  return d
}

/** Fast timings so link loss is noticed in well under a second. */
export const FAST = { heartbeatMs: 100, linkTimeoutMs: 500, statusMs: 60_000 }

export type TestServer = ServerHandle & { db: string; opts: ServerOptions }

/** Starts a real server; `peers` are the introducers it joins through. */
export async function server(
  opts: Omit<Partial<ServerOptions>, 'peers'> & { peers?: ServerHandle[] } = {},
): Promise<TestServer> {
  const db = opts.db ?? join(tempDir(), 'server.db')
  const full: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    serverId: 'auto',
    ...FAST,
    ...opts,
    db,
    // A bare `{ port }` (a foreign peer the test plays) is on 127.0.0.1 without TLS.
    peers: (opts.peers ?? []).map((p) => (p.url ? parseWsUrl(p.url) : { host: '127.0.0.1', port: p.port })),
  }
  const s = await startServer({
    ...full,
    keyPair: full.keyPair ?? (await testKey(SERVER_KEYS + serverCount++)),
  })
  running.add(s)
  await s.joined
  return Object.assign(s, { db, opts: full })
}

/** Stops a server (as a crash or shutdown would) and forgets it. */
export async function stop(s: ServerHandle): Promise<void> {
  running.delete(s)
  await s.stop()
}

/** Polls `cond` until it holds or `ms` pass. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 5_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await cond()) return
    await Bun.sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** An introducer and `n` servers joined through it; resolves when the mesh is full. */
export async function mesh(n: number): Promise<TestServer[]> {
  const intro = await server()
  const rest: TestServer[] = []
  for (let i = 0; i < n; i++) rest.push(await server({ peers: [intro] }))
  const all = [intro, ...rest]
  await until(() => all.every((s) => s.ctx.peers.size === all.length - 1), 10_000, 'a full mesh')
  return all
}
