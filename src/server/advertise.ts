/**
 * @module Which address this server tells other servers to dial (PROTOCOL.md §4 "Addresses"):
 * `--advertise`, else the bind address, else — for a wildcard bind — the local address of the
 * interface that reaches the introducer, else this host's first non-loopback address. A wildcard
 * is never advertised, and loopback only when every server we know of is on this host.
 */

import { createSocket } from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os'
import { isLoopback, isWildcard, unmapIPv4, type WsAddr, wsUrl } from '../net/index.ts'

export type AdvertiseInput = {
  bind: { host: string; port: number }
  tls: boolean
  advertise?: WsAddr | undefined
  introducers: readonly WsAddr[]
  /** The host's interfaces; tests pass their own. */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>
}

/** The address and a sentence saying why it was chosen, for the start-up log. */
export type AdvertiseChoice = { addr: WsAddr; why: string; warning?: string }

/** Picks the advertised address. @throws Error when the only choice would be unreachable. */
export async function chooseAdvertised(o: AdvertiseInput): Promise<AdvertiseChoice> {
  const remote = o.introducers.find((p) => !isLoopback(p.host))
  const refuseLoopback = (host: string, what: string) => {
    if (remote && isLoopback(host))
      throw new Error(
        `${what} ${host} is loopback, which the introducer ${wsUrl(remote)} on another host cannot reach: bind 0.0.0.0 or [::], or set --advertise`,
      )
  }
  if (o.advertise) {
    if (o.tls && !o.advertise.tls)
      throw new Error('--advertise ws:// but this server listens with TLS: use wss://')
    refuseLoopback(o.advertise.host, '--advertise')
    return { addr: o.advertise, why: 'set by --advertise' }
  }
  const at = (host: string) => ({ host, port: o.bind.port, tls: o.tls })
  if (!isWildcard(o.bind.host)) {
    refuseLoopback(o.bind.host, 'the bind address')
    return { addr: at(o.bind.host), why: 'the bind address' }
  }
  const ipv4Only = isIP(o.bind.host) === 4
  for (const p of o.introducers) {
    const local = await localAddressTowards(p.host, ipv4Only)
    // An introducer on this host says nothing about the address other hosts can reach.
    if (local && !isLoopback(local))
      return {
        addr: at(local),
        why: `wildcard bind: the address of the interface that reaches the introducer ${wsUrl(p)}`,
      }
  }
  const first = firstExternalAddress(o.interfaces ?? networkInterfaces, ipv4Only)
  if (first)
    return {
      addr: at(first.address),
      why: `wildcard bind${o.introducers.length ? '' : ' on an introducer'}: the first non-loopback address of this host (${first.name})`,
    }
  refuseLoopback('127.0.0.1', 'this host has no other address:')
  return {
    addr: at('127.0.0.1'),
    why: 'wildcard bind, but this host has no non-loopback address',
    warning: 'advertising 127.0.0.1: only servers on this host can reach this one',
  }
}

/**
 * The local address the kernel would use to reach `host`: a UDP socket `connect()` picks the route
 * and source address without sending anything (UDP has no handshake). Null when unresolvable.
 */
export async function localAddressTowards(host: string, ipv4Only: boolean): Promise<string | null> {
  let target: { address: string; family: number }
  try {
    target = await lookup(host, ipv4Only ? { family: 4 } : {})
  } catch {
    return null
  }
  const sock = createSocket(target.family === 6 ? 'udp6' : 'udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.connect(9, target.address, () => resolve())
    })
    return unmapIPv4(sock.address().address)
  } catch {
    return null
  } finally {
    sock.close()
  }
}

/** The first address that is neither loopback nor IPv6 link-local (those need a zone id); IPv4 first. */
function firstExternalAddress(
  interfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>,
  ipv4Only: boolean,
): { name: string; address: string } | null {
  const all = Object.entries(interfaces()).flatMap(([name, list]) =>
    (list ?? []).filter((i) => !i.internal && !isLoopback(i.address)).map((i) => ({ name, ...i })),
  )
  const v4 = all.find((i) => i.family === 'IPv4')
  const v6 = all.find((i) => i.family === 'IPv6' && !/^fe[89ab]/i.test(i.address))
  const pick = v4 ?? (ipv4Only ? undefined : v6)
  return pick ? { name: pick.name, address: pick.address } : null
}

/**
 * The host to record for a peer that said `claimed` over a socket from `observed`: a wildcard,
 * or a loopback claim from another host, is replaced by the address the connection came from
 * (a peer of another implementation may advertise its bind address). Null when nothing usable.
 */
export function reachableHost(claimed: string, observed: string | null): string | null {
  const seen = observed ? unmapIPv4(observed) : null
  const usable = seen !== null && isIP(seen) !== 0 && !isWildcard(seen)
  if (isWildcard(claimed)) return usable ? seen : null
  if (isLoopback(claimed) && usable && !isLoopback(seen)) return seen
  return claimed
}
