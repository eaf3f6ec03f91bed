/**
 * @module Server addresses as operators type them and as the project prints them: `ws[s]://HOST:PORT`
 * with IPv6 literals in brackets, and the host checks that keep wildcard and loopback addresses
 * from being advertised to other hosts (PROTOCOL.md §4 "Addresses").
 */

import { isIP } from 'node:net'
import { UsageError } from '../errors.ts'

/** Where a server listens or is reached: `tls` is the `wss://` scheme. */
export type WsAddr = { host: string; port: number; tls: boolean }

const WS_URL = /^(wss?):\/\/([^/:\s[\]]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/
// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
const DNS_NAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/

/** True for a DNS name (RFC 1123), an IPv4 address or a bracket-free IPv6 literal. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true
  return DNS_NAME.test(host) && !/^[\d.]+$/.test(host)
}

/**
 * `ws://HOST:PORT` or `wss://HOST:PORT` → host (brackets removed), port and scheme. Port 0 asks
 * the OS for a free one when listening.
 * @throws UsageError on anything else.
 */
export function parseWsUrl(url: string): WsAddr {
  const m = WS_URL.exec(url)
  const port = Number(m?.[3])
  const host = m?.[2]?.replace(/^\[|\]$/g, '') ?? ''
  if (!m || port > 65535 || !isValidHost(host))
    throw new UsageError(`expected ws[s]://HOST:PORT, got "${url}"`)
  return { host, port, tls: m[1] === 'wss' }
}

/** `HOST:PORT`, with an IPv6 literal in brackets (`[::1]:8765`). */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`
}

/** `ws://HOST:PORT` or `wss://HOST:PORT`, IPv6 in brackets. */
export function wsUrl(a: WsAddr): string {
  return `${a.tls ? 'wss' : 'ws'}://${hostPort(a.host, a.port)}`
}

/** The `/health` URL on the same port (`https` under TLS). */
export function healthUrl(a: WsAddr): string {
  return `${a.tls ? 'https' : 'http'}://${hostPort(a.host, a.port)}/health`
}

/** `0.0.0.0` or `::`: listens everywhere, reachable nowhere as an address. */
export function isWildcard(host: string): boolean {
  const h = canonicalIP(host)
  return h === '0.0.0.0' || h === '::'
}

/** 127.0.0.0/8, `::1`, an IPv4-mapped loopback, or `localhost`: only this host can reach it. */
export function isLoopback(host: string): boolean {
  const h = canonicalIP(unmapIPv4(host)).toLowerCase()
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/**
 * Link-local, multicast, broadcast and "this network" addresses: no server listens there for a
 * mesh, and a request to one (a cloud metadata service at 169.254.169.254, say) is what a stranger
 * would aim our dials at. A claim of one is never dialed (mesh/confirm.ts).
 */
export function isNeverAPeer(host: string): boolean {
  const h = canonicalIP(unmapIPv4(host)).toLowerCase()
  if (isIP(h) === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number)
    return a === 0 || (a === 169 && b === 254) || a >= 224
  }
  if (isIP(h) === 6) return /^fe[89ab]/.test(h) || h.startsWith('ff')
  return false
}

/** `::ffff:198.18.0.2` (how a dual-stack socket reports an IPv4 peer) → `198.18.0.2`. */
export function unmapIPv4(host: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)
  return m ? m[1]! : host
}

/** An IP literal in its shortest form (`0:0::1` → `::1`); anything else unchanged. */
function canonicalIP(host: string): string {
  if (isIP(host) !== 6) return host
  return new URL(`http://[${host}]`).hostname.slice(1, -1)
}
