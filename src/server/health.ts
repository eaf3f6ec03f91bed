/** @module GET /health and the periodic status line ("Known servers", online users), as the seed had. */

import { hostPort } from '../net/index.ts'
import type { ServerContext } from './context.ts'

/** The /health document: who we are, which servers we know and whether their link is up. */
export function healthReport(ctx: ServerContext) {
  const servers = ctx.store.servers
    .all()
    .filter((s) => s.serverId !== ctx.me.serverId)
    .map((s) => ({
      server_id: s.serverId,
      host: s.host,
      port: s.port,
      tls: s.tls,
      up: ctx.peers.has(s.serverId),
      confirmed: s.confirmed,
      last_seen: s.lastSeen,
    }))
  return {
    server_id: ctx.me.serverId,
    host: ctx.advertised.host,
    port: ctx.advertised.port,
    tls: ctx.advertised.tls,
    servers,
    users: {
      local: ctx.presence.local.size,
      online: ctx.presence.local.size + ctx.presence.locations.size,
      registered: ctx.store.users.count(),
      directory: ctx.store.directory.count(),
    },
    public_version: ctx.store.channel.version(),
    connections: ctx.peers.links.size,
  }
}

/** The human status lines: one for servers, one for online users. */
export function statusLines(ctx: ServerContext): string[] {
  const servers = [...ctx.peers.keys()].map((id) => {
    const a = ctx.peers.addrs.get(id)
    return a ? `${id} (${hostPort(a.host, a.port)})` : id
  })
  const users = ctx.presence.online().map((u) => u.username)
  return [
    `Known servers (${servers.length} linked): ${servers.join(', ') || 'none'}`,
    `Online users (${users.length}): ${users.join(', ') || 'none'}`,
  ]
}
