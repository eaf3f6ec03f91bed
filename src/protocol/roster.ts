/**
 * @module Presence at scale (docs/wire.md §4, §14): the batched presence our servers exchange, the
 * presence batch a client receives, paged online lists and the key lookup. None of these go to
 * another implementation: servers batch only with peers whose hello said `caps: ["presence-batch"]`.
 */

import { z } from 'zod'
import { EnvelopeSchema, PubkeySchema, UsernameSchema, UuidSchema } from './envelope.ts'

/** The capability our hellos and WELCOME carry; another implementation never sends it. */
export const PRESENCE_BATCH_CAP = 'presence-batch'
/** Capabilities as a hello or WELCOME carries them; unknown names are kept and ignored. */
export const CapsSchema = z.array(z.string().max(32)).max(16)
/** Users per batch frame: 500 × ≈ 850 bytes stays under the 1 MiB server-frame cap. */
export const MAX_BATCH_USERS = 500
/** Users per USER_LIST page (and per client presence batch: each entry carries a key, ≈ 800 B). */
export const MAX_PAGE_USERS = 500

const ListedUserSchema = z.object({
  user_id: UuidSchema,
  username: UsernameSchema,
  server_id: UuidSchema,
  pubkey: PubkeySchema,
})

/**
 * PRESENCE_BATCH S→S and S→C, server-signed by `server_id`, its own users only: who came online
 * and who went offline since its last batch (at most one entry per user). Each entry means exactly
 * what a USER_ADVERTISE / USER_REMOVE of that user with the envelope's `ts` would, with the name
 * and key of the user's DIRECTORY_ENTRY. A receiving server that takes every entry passes the
 * frame unchanged to its clients, so a batch is signed once in the whole mesh.
 */
export const PresenceBatchPayloadSchema = z.object({
  server_id: UuidSchema,
  online: z.array(ListedUserSchema.omit({ server_id: true })).max(MAX_BATCH_USERS),
  offline: z.array(UuidSchema).max(MAX_BATCH_USERS),
})

/** USER_PRESENCE S→C, server-signed once per batch: changes since the last one, in any order. */
export const UserPresencePayloadSchema = z.object({
  online: z.array(ListedUserSchema).max(MAX_PAGE_USERS),
  offline: z.array(z.object({ user_id: UuidSchema, server_id: UuidSchema })).max(MAX_PAGE_USERS),
})

/** LOOKUP C→S: one online user by id or username, to fetch their key when first needed. */
export const LookupPayloadSchema = z.object({ user: z.string().min(1).max(64) })

/** USER_INFO S→C, server-signed: the answer to LOOKUP (else ERROR USER_NOT_FOUND). */
export const UserInfoPayloadSchema = ListedUserSchema

export const PresenceBatchFrameSchema = EnvelopeSchema.extend({
  type: z.literal('PRESENCE_BATCH'),
  from: UuidSchema,
  payload: PresenceBatchPayloadSchema,
})
export const UserPresenceFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_PRESENCE'),
  from: UuidSchema,
  payload: UserPresencePayloadSchema,
})
export const LookupFrameSchema = EnvelopeSchema.extend({
  type: z.literal('LOOKUP'),
  from: UuidSchema,
  payload: LookupPayloadSchema,
})
export const UserInfoFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_INFO'),
  from: UuidSchema,
  payload: UserInfoPayloadSchema,
})

export type PresenceBatchPayload = z.infer<typeof PresenceBatchPayloadSchema>
export type UserPresencePayload = z.infer<typeof UserPresencePayloadSchema>
export type ListedUser = z.infer<typeof ListedUserSchema>
