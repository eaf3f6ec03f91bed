/** @module The id, username and key checks both link kinds share, defined once. */

import { importPublicKey } from '../crypto/index.ts'
import { UuidSchema } from '../protocol/index.ts'

/** Usernames: 3–32 of [a-z0-9_] after lower-casing; anything else is refused (PROTOCOL.md §6). */
export const USERNAME_RE = /^[a-z0-9_]{3,32}$/

/** A lowercase UUID v4, the only id form (PROTOCOL.md §2). */
export function isUuid(s: string): boolean {
  return UuidSchema.safeParse(s).success
}

/** The canonical SPKI of a peer-supplied key, or null when it is weak or unreadable. */
export function spkiOrNull(text: string): string | null {
  try {
    return importPublicKey(text).spki
  } catch {
    return null
  }
}
