/** @module Reading a peer-supplied key without throwing, and a server key's fingerprint. */

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
