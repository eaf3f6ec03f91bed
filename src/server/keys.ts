/** @module Reading a peer-supplied key without throwing, and a server key's fingerprint. */

import { createHash } from 'node:crypto'
import { fingerprint, importPublicKey, type PublicKey } from '../crypto/index.ts'

/** The canonical SPKI of a peer-supplied key, or null when it is weak or unreadable. */
export function spkiOrNull(text: string): string | null {
  try {
    return importPublicKey(text).spki
  } catch {
    return null
  }
}

/** SHA-256 of the DER SPKI as 64 hex digits: what `--peer …#sha256:` pins (src/net/pin.ts). */
export function keyFingerprint(key: PublicKey): string {
  return fingerprint(key).replaceAll(':', '')
}

/**
 * The server id a key makes (docs/wire.md §10a): a UUID v4 in form whose 122 free bits are
 * SHA-256 of a domain string and the canonical SPKI. A server that links to us for the first
 * time must use it, so nobody can take a joining server's id by linking under it first with a
 * key of their own.
 */
export function serverIdFor(spki: string): string {
  const b = createHash('sha256').update(`socp-server-id-v1\n${spki}`).digest().subarray(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = b.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
