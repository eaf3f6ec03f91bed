/**
 * @module The one-live-link-per-pair rule and what happens when a server link comes or goes
 * (PROTOCOL.md §4 "Links", "Health"). Peers holds the tables; this file decides.
 */

import { hostPort } from '../../net/index.ts'
import { dropServerUsers, resync } from '../announce.ts'
import type { ServerContext } from '../context.ts'
import type { Addr, Link, ServerRole } from '../link.ts'
import { scheduleRedial } from './dialer.ts'

/** Links established this close together count as a simultaneous-dial race. */
export const RACE_WINDOW_MS = 2_000

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
export function keepNew(
  ctx: ServerContext,
  old: { link: Link; role: ServerRole },
  fresh: { link: Link; role: ServerRole },
): boolean {
  if (fresh.role.establishedAt - old.role.establishedAt > RACE_WINDOW_MS)
    return fresh.role.establishedAt - old.link.lastSeen > ctx.timing.linkTimeoutMs / 2
  const lower = [ctx.me.serverId, fresh.role.peerId ?? ''].sort()[0]
  return dialer(ctx, fresh.link) === lower && dialer(ctx, old.link) !== lower
}

/** Registers `link` as the live link to `serverId`; returns false when it lost to an existing one. */
export async function establishPeer(
  ctx: ServerContext,
  link: Link,
  serverId: string,
  addr: Addr,
): Promise<boolean> {
  const role = link.becomeServer()
  role.peerId = serverId
  role.establishedAt = Date.now()
  // The socket may have closed while its hello was answered (signing takes a while): that close
  // found no peer to mourn, so the dead link must not become live; the server is redialed instead
  // — or, never confirmed, forgotten (a stranger hanging up mid-join must leave no pin behind).
  if (link.closed) {
    forgetUnconfirmed(ctx, serverId)
    scheduleRedial(ctx, serverId)
    return false
  }
  const old = ctx.peers.get(serverId)
  const oldRole = old?.server
  if (
    old &&
    oldRole &&
    old !== link &&
    !old.closed &&
    !keepNew(ctx, { link: old, role: oldRole }, { link, role })
  ) {
    link.close(4000, 'duplicate link')
    return false
  }
  ctx.peers.setLive(serverId, link, addr)?.close(4000, 'duplicate link')
  ctx.peers.redialDone(serverId)
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
  if (!id || !ctx.peers.dropLive(id, link)) return
  ctx.log.warn(`link to server ${id} is down`)
  ctx.changed()
  dropServerUsers(ctx, id)
  forgetUnconfirmed(ctx, id)
  scheduleRedial(ctx, id)
}

/**
 * A server that never answered at the address it claimed is forgotten when it is not linked —
 * its pin and the directory entries of its users with it: a stranger's throwaway servers then
 * hold our pins (and its address's admission budget) only while their links stay up, whatever
 * users they made up. An honest server we cannot reach is not a member anyway; its users come
 * back with its next link's resync.
 */
export function forgetUnconfirmed(ctx: ServerContext, id: string): void {
  if (ctx.peers.has(id)) return
  const pinned = ctx.store.servers.get(id)
  if (!pinned || pinned.confirmed) return
  const users = ctx.store.directory.byServer(id).length
  ctx.store.directory.removeServer(id)
  ctx.store.servers.forget(id)
  ctx.quota.releaseServer(id)
  ctx.peers.forgetAddr(id)
  ctx.log.info(`forgot server ${id} and its ${users} user(s): it never answered at the address it claimed`)
}
