/**
 * @module `startServer(config)`: builds the server's owners, listens on one port for users,
 * servers and GET /health, joins the mesh, and returns a handle with `stop()`.
 */

import { type ServerConfig, ServerConfigSchema, type ServerOptions } from '../config.ts'
import { logger } from '../log.ts'
import { openStore, type Store } from '../store/index.ts'
import { sendBatch } from './batch.ts'
import { linkEvents } from './connection.ts'
import type { ServerContext } from './context.ts'
import { PresenceFeed } from './feed.ts'
import { type Identity, loadIdentity } from './identity.ts'
import type { Addr } from './link.ts'
import { joinMesh, linkTo } from './mesh/dialer.ts'
import { Outbox } from './outbox.ts'
import { Peers } from './peers.ts'
import { Presence } from './presence.ts'
import { Quota } from './quota.ts'
import { FailureDelay } from './ratelimit.ts'
import { SeenCache } from './seen.ts'
import { type StatusFlag, startTimers } from './timers.ts'
import { Work } from './work.ts'
import { listen } from './ws.ts'

export type { ServerConfig, ServerOptions } from '../config.ts'

export type ServerHandle = {
  url: string
  port: number
  serverId: () => string
  ctx: ServerContext
  /**
   * Resolves once the first join finished: true when an introducer welcomed us (at once without
   * --peer). A join that failed keeps retrying with backoff and resolves only when one succeeds,
   * or false when the server stops first.
   */
  joined: Promise<boolean>
  stop(): Promise<void>
}

/** Every owner of the server's state, each given only what it needs. */
function createContext(
  c: ServerConfig,
  store: Store,
  me: Identity,
  advertised: Addr,
  status: StatusFlag,
): ServerContext {
  const peers = new Peers()
  const ctx: ServerContext = {
    me,
    store,
    log: logger(c.name ?? `server:${me.serverId.slice(0, 8)}`, c.logLevel),
    timing: {
      heartbeatMs: c.heartbeatMs,
      linkTimeoutMs: c.linkTimeoutMs,
      statusMs: c.statusMs,
      helloTimeoutMs: c.helloTimeoutMs,
    },
    introducers: c.peers,
    advertised,
    outbox: new Outbox(me),
    peers,
    presence: new Presence(me, store, peers),
    // Called only once a change is queued, after `ctx` is built.
    feed: new PresenceFeed((batch) => sendBatch(ctx, batch)),
    quota: new Quota(store, { servers: c.maxServers, usersPerServer: c.maxUsersPerServer }),
    seen: new SeenCache(),
    loginDelay: new FailureDelay(),
    work: new Work(),
    // Called only once frames arrive, after `ctx` is built.
    events: linkEvents(() => ctx),
    changed: () => {
      status.dirty = true
    },
  }
  return ctx
}

/** Pinned servers from an earlier run are dialed directly; introducers welcome us (again). */
function joinAtStart(ctx: ServerContext): Promise<boolean> {
  for (const s of ctx.store.servers.all())
    if (!ctx.introducers.some((p) => p.host === s.host && p.port === s.port)) linkTo(ctx, s.serverId, s)
  return ctx.introducers.length > 0 ? joinMesh(ctx, ctx.introducers) : Promise.resolve(true)
}

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const config = ServerConfigSchema.parse(opts)
  const store = openStore(config.db)
  const me = await loadIdentity(store, config.serverId, config.keyPair)
  const status: StatusFlag = { dirty: true }
  // The port is known once listening (port 0 asks the OS); the context is needed to listen.
  const advertised: Addr = { host: config.host, port: config.port }
  const ctx = createContext(config, store, me, advertised, status)
  const bun = listen(ctx, config.host, config.port, config.maxConnections)
  advertised.port = bun.port ?? config.port
  const stopTimers = startTimers(ctx, status)
  const joined = joinAtStart(ctx)
  ctx.log.info(`listening on ws://${config.host}:${advertised.port} as server ${me.serverId}`)

  return {
    url: `ws://${config.host}:${advertised.port}`,
    port: advertised.port,
    serverId: () => ctx.me.serverId,
    ctx,
    joined,
    async stop() {
      ctx.work.stop()
      stopTimers()
      ctx.feed.stop()
      ctx.peers.closeAll(1001, 'server shutting down')
      await bun.stop(true)
      // Handlers already running finish against an open store (bounded, so a stuck one cannot hang us).
      await ctx.work.settle(3_000)
      store.close()
    },
  }
}
