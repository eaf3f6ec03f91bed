/**
 * @module The server's clocks: HEARTBEAT on every live server link and the dead-link sweep
 * (PROTOCOL.md §4 "Health"), and the periodic status lines.
 */

import type { ServerContext } from './context.ts'
import { statusLines } from './health.ts'

/** Set by `ctx.changed()`: the status is logged again within a second. */
export type StatusFlag = { dirty: boolean }

/** Starts the intervals; returns the function that stops them. */
export function startTimers(ctx: ServerContext, status: StatusFlag): () => void {
  const { timing, log } = ctx
  let lastStatus = ''
  const logStatus = (onlyIfChanged = false) => {
    status.dirty = false
    const lines = statusLines(ctx)
    if (onlyIfChanged && lines.join('\n') === lastStatus) return
    lastStatus = lines.join('\n')
    for (const line of lines) log.info(line)
  }
  const heartbeat = async () => {
    const now = Date.now()
    for (const [id, link] of [...ctx.peers.entries()]) {
      if (now - link.lastSeen > timing.linkTimeoutMs) {
        log.warn(`server ${id} silent for ${now - link.lastSeen} ms: link is dead`)
        link.close(4001, 'heartbeat timeout')
        ctx.events.closed(link)
        // HEARTBEAT's payload is always {}: the Outbox signs it once and reuses the signature.
      } else await ctx.outbox.send(link, 'HEARTBEAT', id, {}, { ts: now })
    }
  }
  const timers = [
    setInterval(
      () => void heartbeat().catch((e: unknown) => log.error(`heartbeat: ${String(e)}`)),
      Math.max(20, Math.min(timing.heartbeatMs, timing.linkTimeoutMs / 3)),
    ),
    // The status every statusMs, as the seed did, and within a second of any change.
    setInterval(() => logStatus(), timing.statusMs),
    setInterval(() => status.dirty && logStatus(true), Math.min(1_000, timing.statusMs)),
  ]
  return () => {
    for (const t of timers) clearInterval(t)
  }
}
