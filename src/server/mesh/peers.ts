/**
 * @module The one-live-link-per-pair rule and what happens when a server link comes or goes
 * (PROTOCOL.md §4 "Links", "Health").
 */

import { hostPort } from '../../net/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'
import { dropServerUsers, resync } from '../presence.ts'
import { scheduleRedial } from './dialer.ts'

/** Links established this close together count as a simultaneous-dial race. */
const RACE_WINDOW_MS = 2_000

function dialer(ctx: ServerContext, link: Link): string {
  return link.direction === 'out' ? ctx.me.serverId : (link.peerId ?? '')
}

/**
 * Decides which of two links to the same server survives. In a race both sides keep the link the
 * lower id dialed, so they agree without talking. Otherwise the newer link wins only once the older
 * has gone quiet, as the link of a process that since restarted does: a hello proves nothing fresh
 * (`sig` covers only {host, port, pubkey}, so any copy of the server's SERVER_ANNOUNCE replays as
 * its SERVER_HELLO_LINK), and a live link must not be handed to whoever replays one.
 */
function keepNew(ctx: ServerContext, old: Link, fresh: Link): boolean {
  if (fresh.establishedAt - old.establishedAt > RACE_WINDOW_MS)
    return fresh.establishedAt - old.lastSeen > ctx.timing.linkTimeoutMs / 2
  const lower = [ctx.me.serverId, fresh.peerId ?? ''].sort()[0]
  return dialer(ctx, fresh) === lower && dialer(ctx, old) !== lower
}

/** Registers `link` as the live link to `serverId`; returns false when it lost to an existing one. */
export async function establishPeer(
  ctx: ServerContext,
  link: Link,
  serverId: string,
  addr: { host: string; port: number },
): Promise<boolean> {
  link.kind = 'server'
  link.peerId = serverId
  link.establishedAt = Date.now()
  const old = ctx.peers.get(serverId)
  if (old && old !== link && !old.closed) {
    if (!keepNew(ctx, old, link)) {
      link.close(4000, 'duplicate link')
      return false
    }
    ctx.peers.delete(serverId)
    old.close(4000, 'duplicate link')
  }
  ctx.peers.set(serverId, link)
  ctx.addrs.set(serverId, addr)
  ctx.store.servers.touch(serverId, Date.now())
  ctx.log.info(
    `linked with server ${serverId} at ${hostPort(addr.host, addr.port)} (${link.direction === 'out' ? 'dialed' : 'accepted'})`,
  )
  ctx.changed()
  await resync(ctx, link)
  return true
}

/** A server link closed: if it was the live one, its users go offline here and we redial. */
export async function peerClosed(ctx: ServerContext, link: Link): Promise<void> {
  const id = link.peerId
  if (!id || ctx.peers.get(id) !== link) return
  ctx.peers.delete(id)
  ctx.log.warn(`link to server ${id} is down`)
  ctx.changed()
  await dropServerUsers(ctx, id)
  scheduleRedial(ctx, id)
}
