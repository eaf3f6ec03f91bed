/**
 * @module Caps on what other servers can make us remember: pinned servers, and directory entries
 * per home server. Anyone may join an open mesh, so without them one hostile server could grow our
 * memory and database without bound (an announce costs it one signature, reusable under any id).
 */

import type { ServerContext } from './context.ts'

type Tally = { servers: number; users: Map<string, number> }
const tallies = new WeakMap<ServerContext, Tally>()

function tally(ctx: ServerContext): Tally {
  let t = tallies.get(ctx)
  if (!t) {
    t = { servers: ctx.store.servers.all().length, users: new Map() }
    tallies.set(ctx, t)
  }
  return t
}

/** True when a server id not pinned yet may be pinned; counts it if so. */
export function takeServerSlot(ctx: ServerContext): boolean {
  const t = tally(ctx)
  if (t.servers >= ctx.limits.servers) return false
  t.servers++
  return true
}

/** True when `serverId` may have one more user in our directory; counts it if so. */
export function takeUserSlot(ctx: ServerContext, serverId: string): boolean {
  const t = tally(ctx)
  const n = t.users.get(serverId) ?? ctx.store.directory.byServer(serverId).length
  if (n >= ctx.limits.usersPerServer) {
    t.users.set(serverId, n)
    return false
  }
  t.users.set(serverId, n + 1)
  return true
}
