/**
 * @module Address confirmation (docs/security.md "Joins"). A server that linked to us claimed an
 * address we never dialed: believing it would let anyone point the whole mesh at a victim's
 * address, or list a server nobody can reach to every joiner. So we dial that address once with a
 * probe (SERVER_HELLO_LINK with `probe: true`, docs/wire.md §10) and hang up as soon as the server
 * there has proved the pinned key; only then is it listed to joiners and redialed after a loss.
 */

import { hostPort, isLoopback, isNeverAPeer } from '../../net/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'
import { dial, myHello, scheduleRedial } from './dialer.ts'
import { forgetUnconfirmed } from './establish.ts'

const ATTEMPTS = 3
/** How long a probe may wait for its budget (admission.ts PROBE_BUDGET) before it gives up. */
const BUDGET_WAIT_MS = 5 * 60_000

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
    const pinned = await withinBudget(ctx, serverId)
    if (!pinned) return
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
  // Not linked either (a pin from before a restart): nothing keeps it.
  forgetUnconfirmed(ctx, serverId)
}

/**
 * The pin to probe once the probe budgets allow it (admission.ts), or null: confirmed meanwhile,
 * forgotten, shutting down, an address never dialed, or no budget within `BUDGET_WAIT_MS`.
 */
async function withinBudget(ctx: ServerContext, serverId: string) {
  const end = Date.now() + BUDGET_WAIT_MS
  for (;;) {
    const pinned = ctx.store.servers.get(serverId)
    if (!pinned || pinned.confirmed || ctx.work.stopping) return null
    if (isNeverAPeer(pinned.host)) {
      ctx.logs.warn(
        `probe|${serverId}`,
        `server ${serverId} claims ${pinned.host}, where no server is: not dialed`,
      )
      return null
    }
    // Every loopback name is one target: `localhost` and 127.0.0.2 are the same victim.
    const target = hostPort(isLoopback(pinned.host) ? 'loopback' : pinned.host, pinned.port)
    const wait = ctx.admission.probeWait(pinned.admittedFrom ?? 'unknown', target)
    if (wait === 0) return pinned
    if (Date.now() + wait > end) {
      ctx.logs.warn(
        `probe|budget`,
        `not probing server ${serverId} at ${hostPort(pinned.host, pinned.port)}: over the probe budget`,
      )
      return null
    }
    await Bun.sleep(wait)
  }
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
