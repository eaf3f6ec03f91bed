/** @module Presence gossip (SOCP §8.2): USER_ADVERTISE, USER_REMOVE, and our DIRECTORY_ENTRY (docs/wire.md §5). */

import { z } from 'zod'
import { LenientUserInputSchema, normaliseUser } from './_lenient.ts'
import { B64uPubkeySchema, EnvelopeSchema, TsSchema, UsernameSchema, UuidSchema } from './envelope.ts'

/**
 * "USER_ADVERTISE {user_id, server_id, pubkey, meta:{display_name, pubkey}}" (PROTOCOL.md §4), read
 * leniently: the key may sit in `pubkey`, `meta.pubkey`, `pubkey_b64u` or `enc_pubkey`, and comes
 * out as `pubkey: string | null`; `meta` comes out as `display_name: string | null`.
 */
export const UserAdvertisePayloadSchema = LenientUserInputSchema.extend({ server_id: UuidSchema }).transform(
  (p) => ({ ...normaliseUser(p), server_id: p.server_id }),
)

/**
 * USER_ADVERTISE exactly as we send it: the key both in `pubkey` and `meta.pubkey` (spec-notes
 * §5.2), the name both as `meta.display_name` and `meta.username` (Group 43 reads the latter).
 */
export const UserAdvertiseWireSchema = z.object({
  user_id: UuidSchema,
  server_id: UuidSchema,
  pubkey: B64uPubkeySchema,
  meta: z.object({ display_name: UsernameSchema, username: UsernameSchema, pubkey: B64uPubkeySchema }),
})

/** "USER_REMOVE {user_id, server_id}" (PROTOCOL.md §4): remove only if the location still matches. */
export const UserRemovePayloadSchema = z.object({ user_id: UuidSchema, server_id: UuidSchema })

/** "DIRECTORY_ENTRY {user_id, username, pubkey, server_id, created}" (docs/wire.md §5). */
export const DirectoryEntryPayloadSchema = z.object({
  user_id: UuidSchema,
  username: UsernameSchema,
  pubkey: B64uPubkeySchema,
  server_id: UuidSchema,
  created: TsSchema,
})

// Server-originated: `from` is the hosting server, whose pinned key verifies `sig`.
export const UserAdvertiseFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_ADVERTISE'),
  from: UuidSchema,
  payload: UserAdvertisePayloadSchema,
})
export const UserRemoveFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_REMOVE'),
  from: UuidSchema,
  payload: UserRemovePayloadSchema,
})
export const DirectoryEntryFrameSchema = EnvelopeSchema.extend({
  type: z.literal('DIRECTORY_ENTRY'),
  from: UuidSchema,
  payload: DirectoryEntryPayloadSchema,
})

export type UserAdvertisePayload = z.infer<typeof UserAdvertisePayloadSchema>
export type UserAdvertiseWire = z.infer<typeof UserAdvertiseWireSchema>
export type UserRemovePayload = z.infer<typeof UserRemovePayloadSchema>
export type DirectoryEntryPayload = z.infer<typeof DirectoryEntryPayloadSchema>
