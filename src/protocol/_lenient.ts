/** @module Folder-private: how other implementations describe a user, read into one shape (spec-notes §5.2). */

import { z } from 'zod'
import { UuidSchema } from './envelope.ts'
import { isUsername } from './names.ts'

// A key field a peer may leave empty or null: treated as absent, never as a key.
const OptKeySchema = z.string().max(4096).nullish()

// Decorative only ("routing and crypto MUST NOT depend on meta", spec §15.1): a bad value is
// dropped instead of refusing the user's presence.
const OptLabelSchema = z.string().min(1).max(64).optional().catch(undefined)

/**
 * A user as peers send one: the key in `pubkey`, `meta.pubkey`, `pubkey_b64u` or `enc_pubkey`,
 * the label in `meta.display_name` (ours, Group 56), `meta.username` (Group 43) or `meta.name`
 * (Group 12).
 */
export const LenientUserInputSchema = z.object({
  user_id: UuidSchema,
  pubkey: OptKeySchema,
  pubkey_b64u: OptKeySchema,
  enc_pubkey: OptKeySchema,
  meta: z
    .object({
      display_name: OptLabelSchema,
      username: OptLabelSchema,
      name: OptLabelSchema,
      pubkey: OptKeySchema,
    })
    .nullish(),
})

/** One shape for a peer's user: `pubkey: null` when the peer advertises no key. */
export function normaliseUser(p: z.infer<typeof LenientUserInputSchema>) {
  return {
    user_id: p.user_id,
    // Order from spec-notes §5.2. With no key at all, PROTOCOL.md §3.2 says to pin the first
    // `sender_pub` seen for that user instead.
    pubkey: p.pubkey || p.meta?.pubkey || p.pubkey_b64u || p.enc_pubkey || null,
    display_name: label(p.meta),
  }
}

/**
 * The first of `display_name`, `username`, `name` that is a username here (PROTOCOL.md §6),
 * lower-cased, else null. Only a label: for a user with a directory entry the name comes from
 * that entry (src/server/mesh/presence.ts), never from an advert.
 */
function label(meta: { display_name?: string; username?: string; name?: string } | null | undefined) {
  const found = [meta?.display_name, meta?.username, meta?.name].find((l) => l !== undefined && isUsername(l))
  return found?.toLowerCase() ?? null
}
