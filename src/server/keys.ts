/** @module Reading a peer-supplied key without throwing. */

import { importPublicKey } from '../crypto/index.ts'

/** The canonical SPKI of a peer-supplied key, or null when it is weak or unreadable. */
export function spkiOrNull(text: string): string | null {
  try {
    return importPublicKey(text).spki
  } catch {
    return null
  }
}
