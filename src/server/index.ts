/**
 * @module `startServer(config)`: one Bun.serve port for users, servers and GET /health; joins the
 * mesh, keeps links alive, and returns a handle with `stop()`.
 */

import { type KeyPair, signPayload } from '../crypto/index.ts'
import { type Logger, logger } from '../log.ts'
import { type KeyProtection, openStore } from '../store/index.ts'
import { onLinkClosed, onLinkMessage } from './connection.ts'
import { createContext, envelope, type ServerContext } from './context.ts'
import { healthReport, statusLines } from './health.ts'
import { loadIdentity } from './identity.ts'
import { Link, USER_RATE } from './link.ts'
import { joinMesh, linkTo } from './mesh/dialer.ts'
import { type GuardOptions, LoginGuard } from './users/guard.ts'

export type ServerOptions = {
  host: string
  port: number
  serverId: string
  peers: { host: string; port: number }[]
  db: string
  heartbeatMs?: number
  linkTimeoutMs?: number
  statusMs?: number
  helloTimeoutMs?: number
  /** Cap on simultaneous connections, so bogus connections cannot exhaust memory. */
  maxConnections?: number
  /** Cap on pinned servers, and on directory entries per other server (src/server/quota.ts). */
  maxServers?: number
  maxUsersPerServer?: number
  /** A log component name (tests run several servers in one process). */
  name?: string
  /** The identity key for a new database (tests reuse pre-generated keys); default: generate. */
  keyPair?: KeyPair
  /** Login throttles and the argon2 pool size (src/server/users/guard.ts); tests tune them. */
  login?: Partial<GuardOptions>
  /** The operator secret that protects the identity key file (docs/security.md "At rest"). */
  keyPassphrase?: string
}

export type ServerHandle = {
  url: string
  port: number
  serverId: () => string
  ctx: ServerContext
  /** Resolves once the first join attempt finished (immediately without --peer). */
  joined: Promise<boolean>
  stop(): Promise<void>
}

type WsData = { link: Link | null }

/** Says at every start what protects the identity key at rest (docs/security.md "At rest"). */
function logKeyProtection(log: Logger, p: KeyProtection, db: string): void {
  if (p === 'passphrase') log.info(`identity key: sealed under the key passphrase (${db}.key)`)
  else if (p === 'key file')
    log.warn(
      `identity key: protected only by the permissions of ${db}.key (0600); anyone who can read ` +
        'that file, or a backup of this folder, can act as this server. Set --key-passphrase-file ' +
        'or SOCP_KEY_PASSPHRASE to seal it under a passphrase.',
    )
}

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const store = openStore(opts.db, { keyPassphrase: opts.keyPassphrase })
  const me = await loadIdentity(store, opts.serverId, opts.keyPair)
  const log = logger(opts.name ?? `server:${me.serverId.slice(0, 8)}`)
  const timing = {
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    linkTimeoutMs: opts.linkTimeoutMs ?? 45_000,
    statusMs: opts.statusMs ?? 20_000,
    helloTimeoutMs: opts.helloTimeoutMs ?? 10_000,
  }
  const maxConnections = opts.maxConnections ?? 10_000
  let statusDirty = true
  const advertised = { host: opts.host, port: opts.port }
  const ctx = createContext({
    me,
    store,
    log,
    timing,
    limits: { servers: opts.maxServers ?? 1_000, usersPerServer: opts.maxUsersPerServer ?? 10_000 },
    advertised,
    introducers: opts.peers,
    guard: new LoginGuard(log, opts.login),
    changed: () => (statusDirty = true),
  })

  const bun = Bun.serve<WsData, never>({
    hostname: opts.host,
    port: opts.port,
    fetch(req, server) {
      const url = new URL(req.url)
      if (url.pathname === '/health' && req.method === 'GET') return Response.json(healthReport(ctx))
      if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        if (ctx.links.size >= maxConnections) return new Response('too many connections', { status: 503 })
        if (server.upgrade(req, { data: { link: null } })) return undefined
        return new Response('upgrade failed', { status: 400 })
      }
      return new Response('socp server: connect with a WebSocket, or GET /health\n', { status: 426 })
    },
    websocket: {
      maxPayloadLength: 1024 * 1024,
      idleTimeout: 120,
      // A peer that stops reading cannot make us buffer without bound.
      backpressureLimit: 16 * 1024 * 1024,
      closeOnBackpressureLimit: true,
      open(ws) {
        const link = new Link(
          'in',
          ws.remoteAddress,
          {
            send: (t) => void ws.send(t),
            close: (code, reason) => ws.close(code, reason),
            buffered: () => ws.getBufferedAmount(),
            pause: () => ws.pause(),
            resume: () => ws.resume(),
          },
          USER_RATE,
        )
        ws.data.link = link
        ctx.links.add(link)
        // A connection that never says hello (or never finishes logging in) is closed. Frames that
        // start no login (junk, errors, LIST) are no hello: they do not buy the longer allowance.
        link.timers.push(
          setTimeout(() => {
            const idle = link.kind === 'pending' || (link.kind === 'user' && link.auth.stage === 'new')
            if (idle) link.close(1008, 'no hello')
          }, timing.helloTimeoutMs),
        )
        link.timers.push(
          setTimeout(
            () =>
              link.kind === 'user' && link.auth.stage !== 'bound' && link.close(1008, 'login took too long'),
            timing.helloTimeoutMs * 6,
          ),
        )
      },
      message(ws, msg) {
        const link = ws.data.link
        if (!link) return
        onLinkMessage(ctx, link, msg)
      },
      close(ws) {
        const link = ws.data.link
        if (link) onLinkClosed(ctx, link)
      },
    },
  })
  advertised.port = bun.port ?? opts.port

  let lastStatus = ''
  function logStatus(onlyIfChanged = false): void {
    statusDirty = false
    const lines = statusLines(ctx)
    if (onlyIfChanged && lines.join('\n') === lastStatus) return
    lastStatus = lines.join('\n')
    for (const line of lines) log.info(line)
  }

  // HEARTBEAT's payload is always {} and `sig` covers only the payload, so one signature serves all.
  const heartbeatSig = await signPayload(me.key, {})
  const timers = [
    setInterval(
      () => {
        const now = Date.now()
        for (const [id, link] of ctx.peers) {
          if (now - link.lastSeen > timing.linkTimeoutMs) {
            log.warn(`server ${id} silent for ${now - link.lastSeen} ms: link is dead`)
            link.close(4001, 'heartbeat timeout')
            onLinkClosed(ctx, link)
          } else link.send(envelope('HEARTBEAT', ctx.me.serverId, id, now, {}, heartbeatSig))
        }
      },
      Math.max(20, Math.min(timing.heartbeatMs, timing.linkTimeoutMs / 3)),
    ),
    // The status every statusMs, as the seed did, and within a second of any change.
    setInterval(() => logStatus(), timing.statusMs),
    setInterval(() => statusDirty && logStatus(true), Math.min(1_000, timing.statusMs)),
  ]

  // Pinned servers from an earlier run are dialed directly; introducers welcome us (again).
  for (const s of store.servers.all())
    if (!opts.peers.some((p) => p.host === s.host && p.port === s.port)) linkTo(ctx, s.serverId, s)
  const joined = opts.peers.length > 0 ? joinMesh(ctx, opts.peers) : Promise.resolve(true)
  log.info(`listening on ws://${opts.host}:${advertised.port} as server ${me.serverId}`)
  logKeyProtection(log, store.keyProtection, opts.db)

  return {
    url: `ws://${opts.host}:${advertised.port}`,
    port: advertised.port,
    serverId: () => ctx.me.serverId,
    ctx,
    joined,
    async stop() {
      ctx.stopping = true
      for (const t of timers) clearInterval(t)
      for (const r of ctx.redials.values()) if (r.timer) clearTimeout(r.timer)
      for (const link of [...ctx.links]) link.close(1001, 'server shutting down')
      await bun.stop(true)
      // Handlers already running finish against an open store (bounded, so a stuck one cannot hang us).
      await Promise.race([Promise.allSettled([...ctx.inflight]), Bun.sleep(3_000)])
      store.close()
    },
  }
}
