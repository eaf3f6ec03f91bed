/** @module Where a user is, and the one routing rule (spec §10): local, else their server, else unknown. */

import type { ServerContext } from './context.ts'
import type { Link } from './link.ts'

export type OnlineUser = { user_id: string; username: string; server_id: string; pubkey: string }

/** Every user online anywhere in the mesh, sorted by username (docs/wire.md §4). */
export function onlineUsers(ctx: ServerContext): OnlineUser[] {
  const out: OnlineUser[] = []
  const add = (userId: string, serverId: string) => {
    const e = ctx.store.directory.byId(userId)
    if (e) out.push({ user_id: userId, username: e.username, server_id: serverId, pubkey: e.pubkey })
  }
  for (const id of ctx.localUsers.keys()) add(id, ctx.me.serverId)
  for (const [id, serverId] of ctx.locations) add(id, serverId)
  return out.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
}

export type Route =
  | { kind: 'local'; link: Link }
  | { kind: 'remote'; serverId: string; link: Link }
  | { kind: 'unknown' }

/** Resolves a recipient to a local link or the live link to their server. */
export function route(ctx: ServerContext, userId: string): Route {
  const local = ctx.localUsers.get(userId)
  if (local) return { kind: 'local', link: local }
  const serverId = ctx.locations.get(userId)
  const link = serverId ? ctx.peers.get(serverId) : undefined
  if (serverId && link) return { kind: 'remote', serverId, link }
  return { kind: 'unknown' }
}
