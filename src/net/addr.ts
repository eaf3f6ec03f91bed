/**
 * @module Server addresses as operators type them and as the project prints them: `ws[s]://HOST:PORT`
 * with IPv6 literals in brackets, and the host checks that keep wildcard and loopback addresses
 * from being advertised to other hosts (PROTOCOL.md §4 "Addresses").
 */

import { isIP } from 'node:net'
import { UsageError } from '../errors.ts'
import { isHost } from '../protocol/envelope.ts'

/** Where a server listens or is reached: `tls` is the `wss://` scheme. */
export type WsAddr = { host: string; port: number; tls: boolean }

const WS_URL = /^(wss?):\/\/([^/:\s[\]]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/
/** True for a DNS name (RFC 1123), an IPv4 address or a bracket-free IPv6 literal: the wire's rule. */
export function isValidHost(host: string): boolean {
  return isHost(host)
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

/**
 * One spelling per address, so checks and budgets see the address and not its spelling: an IPv6
 * literal in its shortest lower-case form, an IPv4-mapped one (`::ffff:7f00:1`, `0::FFFF:127.0.0.1`)
 * as its IPv4 address, a name lower-cased without a trailing dot.
 */
export function canonicalHost(host: string): string {
  if (isIP(host) !== 6) return isIP(host) === 4 ? host : host.toLowerCase().replace(/\.$/, '')
  const h = canonicalIP(host).toLowerCase()
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)
  if (dotted) return dotted[1]!
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h)
  if (!hex) return h
  const [hi, lo] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)]
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

/** `0.0.0.0` or `::` (in any spelling): listens everywhere, reachable nowhere as an address. */
export function isWildcard(host: string): boolean {
  const h = canonicalHost(host)
  return h === '0.0.0.0' || h === '::'
}

/** 127.0.0.0/8, `::1`, an IPv4-mapped loopback, or `localhost`: only this host can reach it. */
export function isLoopback(host: string): boolean {
  const h = canonicalHost(host)
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/**
 * Link-local, multicast, broadcast and "this network" addresses: no server listens there for a
 * mesh, and a request to one (a cloud metadata service at 169.254.169.254, say) is what a stranger
 * would aim our dials at. A claim of one is never dialed (mesh/confirm.ts).
 */
export function isNeverAPeer(host: string): boolean {
  const h = canonicalHost(host)
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
  try {
    return new URL(`http://[${host}]`).hostname.slice(1, -1)
  } catch {
    return host.toLowerCase()
  }
}
