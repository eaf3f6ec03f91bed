/**
 * @module A key pin on an introducer's address: `ws[s]://HOST:PORT#sha256:<fingerprint>`, the
 * (host, port, key) of the spec's bootstrap list. The fingerprint is SHA-256 of the server's DER
 * SPKI, written as the start banner prints it (16 groups of 4 hex digits, as a user's
 * /fingerprint) or as 64 bare hex digits.
 */

import { UsageError } from '../errors.ts'
import { parseWsUrl, type WsAddr } from './addr.ts'

/** An introducer: its address and, when the operator pinned it, its key's SHA-256 (64 hex digits). */
export type PeerAddr = WsAddr & { fingerprint?: string }

const PIN = /^sha256:((?:[0-9a-fA-F]{4}:?){15}[0-9a-fA-F]{4})$/

/**
 * `ws://HOST:PORT` or `ws://HOST:PORT#sha256:<fingerprint>`.
 * @throws UsageError on a malformed address or pin.
 */
export function parsePeerUrl(url: string): PeerAddr {
  const hash = url.indexOf('#')
  if (hash < 0) return parseWsUrl(url)
  const addr = parseWsUrl(url.slice(0, hash))
  const m = PIN.exec(url.slice(hash + 1))
  if (!m?.[1])
    throw new UsageError(
      `expected #sha256:<64 hex digits, as the server prints it> after ${url.slice(0, hash)}`,
    )
  return { ...addr, fingerprint: m[1].replaceAll(':', '').toLowerCase() }
}

/** `sha256:abcd:…` as the banner prints it and `--peer` takes it, from the bare 64 hex digits. */
export function showFingerprint(hex: string): string {
  return `sha256:${hex.match(/.{4}/g)?.join(':') ?? hex}`
}
