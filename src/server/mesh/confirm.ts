/**
 * @module Address confirmation (docs/security.md "Joins"). A server that linked to us claimed an
 * address we never dialed: believing it would let anyone point the whole mesh at a victim's
 * address, or list a server nobody can reach to every joiner. So we dial that address once with a
 * probe (SERVER_HELLO_LINK with `probe: true`, docs/wire.md §10) and hang up as soon as the server
 * there has proved the pinned key; only then is it listed to joiners and redialed after a loss.
 */

import { hostPort } from '../../net/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'
import { dial, myHello, scheduleRedial } from './dialer.ts'

const ATTEMPTS = 3

/** Starts confirming `serverId`'s pinned address, unless it is confirmed or being confirmed. */
export function confirmAddress(ctx: ServerContext, serverId: string): void {
  const pinned = ctx.store.servers.get(serverId)
  if (!pinned || pinned.confirmed || ctx.work.stopping) return
  ctx.work.track(ctx.admission.probe(serverId, () => confirm(ctx, serverId)))
}

async function confirm(ctx: ServerContext, serverId: string): Promise<void> {
  const base = Math.min(1_000, ctx.timing.heartbeatMs)
  let where = ''
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await Bun.sleep(base * 4 ** attempt)
    const pinned = ctx.store.servers.get(serverId)
    if (!pinned || pinned.confirmed || ctx.work.stopping) return
    where = hostPort(pinned.host, pinned.port)
    if (await probeOnce(ctx, serverId, pinned)) {
      ctx.log.info(`server ${serverId} answered at ${where}: listed to joiners and redialed from now on`)
      // It may have hung up meanwhile (a joiner gone right after its welcome): link to it again.
      scheduleRedial(ctx, serverId)
      return
    }
  }
  ctx.logs.warn(
    `probe|${serverId}`,
    `server ${serverId} did not answer at ${where}, the address it claimed: linked while it stays, ` +
      'but not listed to joiners nor redialed',
  )
}

function probeOnce(
  ctx: ServerContext,
  serverId: string,
  addr: { host: string; port: number; tls: boolean },
): Promise<boolean> {
  return new Promise((resolve) => {
    const hello = () => ctx.outbox.frame('SERVER_HELLO_LINK', serverId, { ...myHello(ctx), probe: true })
    const link = dial(ctx, addr, serverId, hello, true)
    if (!link) return resolve(false)
    link.onClosed = () => resolve(ctx.store.servers.get(serverId)?.confirmed === true)
  })
}

/** The dialer side of a probe: the server there proved `serverId`'s key (mesh/handshake.ts). */
export function probeAnswered(ctx: ServerContext, link: Link, serverId: string): void {
  const pinned = ctx.store.servers.get(serverId)
  const t = link.server?.target
  // The pin may have moved since the probe began; only the address dialed is confirmed.
  if (pinned && t && pinned.host === t.host && pinned.port === t.port) ctx.store.servers.confirm(serverId)
  link.close(1000, 'address confirmed')
}
