/** @module Direct messages and forwarded delivery (SOCP §8.3, §9.2): MSG_DIRECT, USER_DELIVER, SERVER_DELIVER. */

import { z } from 'zod'
import { PublicItemsSchema } from './channel.ts'
import {
  AddressSchema,
  B64uPubkeySchema,
  CiphertextSchema,
  ContentSigSchema,
  EnvelopeSchema,
  PubkeySchema,
  UuidSchema,
} from './envelope.ts'
import { FileChunkPayloadSchema, FileEndPayloadSchema, FileStartPayloadSchema } from './files.ts'

/** "MSG_DIRECT {ciphertext, sender_pub, content_sig}, `from` = sender, `to` = recipient" (PROTOCOL.md §5). */
export const MsgDirectPayloadSchema = z.object({
  ciphertext: CiphertextSchema,
  sender_pub: B64uPubkeySchema,
  content_sig: ContentSigSchema,
})

/**
 * "USER_DELIVER {ciphertext, sender, sender_pub, content_sig} with the original `ts`" (PROTOCOL.md
 * §5). `sender_pub` may come from another implementation, hence the lenient key format.
 */
export const UserDeliverPayloadSchema = z.object({
  ciphertext: CiphertextSchema,
  sender: UuidSchema,
  sender_pub: PubkeySchema,
  content_sig: ContentSigSchema,
})

// --- SERVER_DELIVER: one variant per carried frame, keyed by `inner_type` ---

const Routed = { user_id: UuidSchema, sender: UuidSchema }

const DeliverDmSchema = z.object({
  inner_type: z.literal('MSG_DIRECT'),
  ...Routed,
  ciphertext: CiphertextSchema,
  sender_pub: PubkeySchema,
  content_sig: ContentSigSchema,
})
// Our batched `/all` (docs/wire.md §6): `user_id` is "public", the items ride beside it.
const DeliverPublicSchema = z.object({
  inner_type: z.literal('MSG_PUBLIC_CHANNEL'),
  user_id: AddressSchema,
  sender: UuidSchema,
  sender_pub: PubkeySchema,
  items: PublicItemsSchema,
})
// "file and public frames carry their own fields beside these" (PROTOCOL.md §4).
const DeliverFileStartSchema = FileStartPayloadSchema.extend({
  inner_type: z.literal('FILE_START'),
  ...Routed,
})
const DeliverFileChunkSchema = FileChunkPayloadSchema.extend({
  inner_type: z.literal('FILE_CHUNK'),
  ...Routed,
})
const DeliverFileEndSchema = FileEndPayloadSchema.extend({ inner_type: z.literal('FILE_END'), ...Routed })

/**
 * "SERVER_DELIVER {user_id, ciphertext, sender, sender_pub, content_sig, inner_type}" (PROTOCOL.md
 * §4), read leniently: the discriminator is `inner_type` (Group 43, ours) or `type` (Group 56), and
 * a frame with neither is a plain `MSG_DIRECT` (the spec's own shape). Output: one variant per
 * `inner_type`, always with that key set.
 */
export const ServerDeliverPayloadSchema = z
  .looseObject({ inner_type: z.string().max(64).nullish(), type: z.string().max(64).nullish() })
  .transform((p) => ({ ...p, inner_type: p.inner_type ?? p.type ?? 'MSG_DIRECT' }))
  .pipe(
    z.discriminatedUnion('inner_type', [
      DeliverDmSchema,
      DeliverPublicSchema,
      DeliverFileStartSchema,
      DeliverFileChunkSchema,
      DeliverFileEndSchema,
    ]),
  )

/** SERVER_DELIVER exactly as we send it: a public batch keeps the spec's fields, empty (docs/wire.md §6). */
export const ServerDeliverWireSchema = z.discriminatedUnion('inner_type', [
  DeliverDmSchema,
  DeliverPublicSchema.extend({ ciphertext: z.literal(''), content_sig: z.literal('') }),
  DeliverFileStartSchema,
  DeliverFileChunkSchema,
  DeliverFileEndSchema,
])

export const MsgDirectFrameSchema = EnvelopeSchema.extend({
  type: z.literal('MSG_DIRECT'),
  from: UuidSchema,
  to: UuidSchema,
  payload: MsgDirectPayloadSchema,
})
// `from` = the delivering server, `to` = the recipient, `ts` = the original user ts (PROTOCOL.md §3.2).
export const UserDeliverFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_DELIVER'),
  from: UuidSchema,
  to: UuidSchema,
  payload: UserDeliverPayloadSchema,
})
// `from` = sending server, `to` = recipient's server (PROTOCOL.md §4).
export const ServerDeliverFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_DELIVER'),
  from: UuidSchema,
  payload: ServerDeliverPayloadSchema,
})

export type MsgDirectPayload = z.infer<typeof MsgDirectPayloadSchema>
export type UserDeliverPayload = z.infer<typeof UserDeliverPayloadSchema>
export type ServerDeliverPayload = z.infer<typeof ServerDeliverPayloadSchema>
export type ServerDeliverWire = z.input<typeof ServerDeliverWireSchema>
