/** @module Ids and user names, defined once for client and server (PROTOCOL.md §2, §6). */

import { UuidSchema } from './envelope.ts'

/** Usernames: 3–32 of [a-z0-9_] after lower-casing; anything else is refused (PROTOCOL.md §6). */
export const USERNAME_RE = /^[a-z0-9_]{3,32}$/

/** The rule users read: typed names may use capitals, they are stored lower-cased. */
export const USERNAME_RULE = 'a username is 3–32 letters, digits or _'

/** A lowercase UUID v4, the only id form on the wire (PROTOCOL.md §2). */
export function isUuid(s: string): boolean {
  return UuidSchema.safeParse(s).success
}

/** True for a name a user may register or type: [A-Za-z0-9_]{3,32}, compared lower-cased. */
export function isUsername(s: string): boolean {
  return USERNAME_RE.test(s.toLowerCase())
}

/** Any-case UUID as a user types it (`/tell 3F2A…`), normalised to the wire form, or null. */
export function asUuid(s: string): string | null {
  const lower = s.toLowerCase()
  return isUuid(lower) ? lower : null
}
