/**
 * @module `startServer(config)`: builds the server's owners, listens on one port for users,
 * servers and GET /health, joins the mesh, and returns a handle with `stop()`.
 */

import { type ServerConfig, ServerConfigSchema, type ServerOptions } from '../config.ts'
import { importPublicKey } from '../crypto/index.ts'
import { type Logger, logger } from '../log.ts'
import { isLoopback, wsUrl } from '../net/index.ts'
import { type KeyProtection, openStore, type Store } from '../store/index.ts'
import { Admission } from './admission.ts'
import { sendBatch } from './batch.ts'
import { linkEvents } from './connection.ts'
import type { ServerContext } from './context.ts'
import { PresenceFeed } from './feed.ts'
import { type Identity, loadIdentity } from './identity.ts'
import { keyFingerprint, serverIdFor } from './keys.ts'
import { LogLimiter } from './loglimit.ts'
import { Mailbox } from './mailbox.ts'
import { confirmAddress } from './mesh/confirm.ts'
import { joinMesh, linkTo } from './mesh/dialer.ts'
import { type Network, prepareNetwork } from './network.ts'
import { Outbox } from './outbox.ts'
import { Peers } from './peers.ts'
import { Presence } from './presence.ts'
import { Quota } from './quota.ts'
import { SeenCache } from './seen.ts'
import { type StatusFlag, startTimers } from './timers.ts'
import { LoginGuard } from './users/guard.ts'
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
   * --peer). A join that failed keeps retrying with backoff, paused while any server link is up,
   * and resolves only when one succeeds, or false when the server stops first.
   */
  joined: Promise<boolean>
  stop(): Promise<void>
}

/** Every owner of the server's state, each given only what it needs. */
function createContext(
  c: ServerConfig,
  store: Store,
  me: Identity,
  log: Logger,
  net: Network,
  status: StatusFlag,
): ServerContext {
  const peers = new Peers()
  const ctx: ServerContext = {
    me,
    store,
    log,
    logs: new LogLimiter(log),
    allowLegacyPeers: c.allowLegacyPeers,
    timing: {
      heartbeatMs: c.heartbeatMs,
      linkTimeoutMs: c.linkTimeoutMs,
      statusMs: c.statusMs,
      helloTimeoutMs: c.helloTimeoutMs,
    },
    introducers: net.introducers,
    advertised: net.advertised,
    dialTls: net.dialTls,
    outbox: new Outbox(me),
    peers,
    presence: new Presence(me, store, peers),
    // Called only once a change is queued, after `ctx` is built.
    feed: new PresenceFeed((batch) => sendBatch(ctx, batch)),
    quota: new Quota(store, { servers: c.maxServers, usersPerServer: c.maxUsersPerServer }),
    admission: new Admission(store, { joinSecret: c.joinSecret ?? null, joinsPerAddress: c.joinsPerAddress }),
    mailbox: new Mailbox(store, {
      ttlMs: c.offlineTtlMs,
      perRecipient: c.offlinePerRecipient,
      perSender: c.offlinePerSender,
    }),
    seen: new SeenCache(),
    guard: new LoginGuard(log, c.login),
    work: new Work(),
    // Called only once frames arrive, after `ctx` is built.
    events: linkEvents(() => ctx),
    changed: () => {
      status.dirty = true
    },
  }
  return ctx
}

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

/** Says at every start who may join through us (docs/security.md "Joins"). */
function logAdmission(ctx: ServerContext, c: ServerConfig): void {
  if (ctx.admission.closed)
    return ctx.log.info('closed mesh: only servers that prove the join secret may link')
  const say = isLoopback(c.host) ? ctx.log.info : ctx.log.warn
  say(
    `open mesh: any server that reaches this one may join (at most ${c.joinsPerAddress} per address); ` +
      'set --join-secret-file (or SOCP_JOIN_SECRET) on every server to admit only your own',
  )
}

/**
 * Pinned servers from an earlier run are dialed directly — those never confirmed only with a
 * probe, which links to them once they answer (mesh/confirm.ts); introducers welcome us (again).
 */
function joinAtStart(ctx: ServerContext): Promise<boolean> {
  for (const s of ctx.store.servers.all()) {
    if (ctx.introducers.some((p) => p.host === s.host && p.port === s.port)) continue
    if (s.confirmed) linkTo(ctx, s.serverId, s)
    else confirmAddress(ctx, s.serverId)
  }
  return ctx.introducers.length > 0 ? joinMesh(ctx, ctx.introducers) : Promise.resolve(true)
}

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const config = ServerConfigSchema.parse(opts)
  const store = openStore(config.db, { keyPassphrase: config.keyPassphrase })
  const me = await loadIdentity(store, config.serverId, config.keyPair)
  const log = logger(config.name ?? `server:${me.serverId.slice(0, 8)}`, config.logLevel)
  let net: Network
  try {
    net = prepareNetwork(config, log)
  } catch (e) {
    store.close()
    throw e
  }
  const status: StatusFlag = { dirty: true }
  const ctx = createContext(config, store, me, log, net, status)
  const bun = listen(ctx, config.host, config.port, config.maxConnections, net.serverTls)
  // The port is known once listening (port 0 asks the OS); the advertised address is chosen then.
  let bound: Awaited<ReturnType<Network['settle']>>
  try {
    bound = await net.settle({
      port: bun.port ?? config.port,
      serverId: me.serverId,
      fingerprint: keyFingerprint(importPublicKey(me.pubkey)),
      db: config.db,
    })
  } catch (e) {
    await bun.stop(true)
    store.close()
    throw e
  }
  const stopTimers = startTimers(ctx, status)
  const joined = joinAtStart(ctx)
  logKeyProtection(log, store.keyProtection, config.db)
  if (config.allowLegacyPeers)
    ctx.log.warn('--allow-legacy-peers: servers that cannot prove their key may link, unauthenticated')
  logAdmission(ctx, config)
  if (me.serverId !== serverIdFor(me.pubkey))
    ctx.log.warn(
      `server id ${me.serverId} is not the one this key makes (${serverIdFor(me.pubkey)}): servers that ` +
        'do not know it yet will refuse its links; an introducer assigns the right one at the next join',
    )

  return {
    url: wsUrl(bound),
    port: bound.port,
    serverId: () => ctx.me.serverId,
    ctx,
    joined,
    async stop() {
      log.info(`shutting down: closing ${ctx.peers.links.size} connections (${ctx.peers.size} servers)`)
      ctx.work.stop()
      stopTimers()
      ctx.feed.stop()
      ctx.peers.closeAll(1001, 'server shutting down')
      await bun.stop(true)
      // Handlers already running finish against an open store (bounded, so a stuck one cannot hang us).
      await ctx.work.settle(3_000)
      store.close()
      log.info(`stopped; database ${config.db} closed`)
    },
  }
}
