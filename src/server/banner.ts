/** @module What the server logs at start, so an operator sees its role, data and address at a glance. */

import { resolve } from 'node:path'
import { healthUrl, type TrustOptions, type WsAddr, wsUrl } from '../net/index.ts'
import type { AdvertiseChoice } from './advertise.ts'

export type BannerInput = {
  serverId: string
  listen: WsAddr
  introducers: readonly WsAddr[]
  db: string
  choice: AdvertiseChoice
  trust: TrustOptions
}

/** One line each: listening, role, database, advertised address (and why), /health, trust. */
export function startupLines(o: BannerInput): string[] {
  const role = o.introducers.length
    ? `joining the mesh through ${o.introducers.map(wsUrl).join(', ')}`
    : `introducer (no --peer): other servers join with --peer ${wsUrl(o.choice.addr)}`
  const trust = o.trust.insecureSkipVerify
    ? 'outgoing wss:// links: certificates NOT checked (--insecure-skip-verify)'
    : `outgoing wss:// links trust the system store${o.trust.caFile ? ` and the CA in ${resolve(o.trust.caFile)}` : ''}`
  return [
    `server ${o.serverId} listening on ${wsUrl(o.listen)}${o.listen.tls ? ' with TLS' : ' without TLS'}`,
    role,
    `database: ${o.db === ':memory:' ? o.db : resolve(o.db)}`,
    `advertising ${wsUrl(o.choice.addr)} (${o.choice.why})`,
    `health: ${healthUrl(o.choice.addr)}`,
    trust,
  ]
}
