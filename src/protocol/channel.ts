/** @module The public channel (SOCP §9.3, PROTOCOL.md §5, docs/wire.md §6). */

import { z } from 'zod'
import {
  B64uPubkeySchema,
  base64url,
  CiphertextSchema,
  ContentSigSchema,
  CountSchema,
  EnvelopeSchema,
  PubkeySchema,
  UuidSchema,
} from './envelope.ts'

/** One member's copy of an `/all` message: RSA-OAEP to that member, signed `ciphertext ‖ from ‖ ts`. */
export const PublicItemSchema = z.object({
  member_id: UuidSchema,
  ciphertext: CiphertextSchema,
  content_sig: ContentSigSchema,
})

/** "the client sends at most 32 items per frame" (docs/wire.md §6), which keeps it under 64 KiB. */
export const PublicItemsSchema = z.array(PublicItemSchema).min(1).max(32)

/** C→S "MSG_PUBLIC_CHANNEL to:"public" { sender_pub, items: [{member_id, ciphertext, content_sig}] }". */
export const MsgPublicChannelPayloadSchema = z.object({
  sender_pub: B64uPubkeySchema,
  items: PublicItemsSchema,
})

/** S→C "MSG_PUBLIC_CHANNEL from = sender, to:"public", server-signed, { sender, sender_pub, items }". */
export const MsgPublicChannelDeliveredPayloadSchema = z.object({
  sender: UuidSchema,
  sender_pub: PubkeySchema,
  items: PublicItemsSchema,
})

/**
 * "PUBLIC_CHANNEL_ADD {add:[user ids], if_version}" (PROTOCOL.md §4). The spec's own example lists
 * names ("Dave"), which cannot be routed: non-UUID entries are dropped, the version still counts.
 */
export const PublicChannelAddPayloadSchema = z.object({
  add: z.array(z.string().max(256)).transform((ids) => ids.filter((id) => UuidSchema.safeParse(id).success)),
  if_version: CountSchema,
})

/** "PUBLIC_CHANNEL_UPDATED {version, wraps:[{member_id, wrapped_key}]}"; versions converge upward. */
export const PublicChannelUpdatedPayloadSchema = z.object({
  version: CountSchema,
  wraps: z.array(z.object({ member_id: UuidSchema, wrapped_key: base64url(1024) })),
})

/** "PUBLIC_CHANNEL_KEY_SHARE {shares:[{member, wrapped_public_channel_key}], creator_pub, content_sig}". */
export const PublicChannelKeySharePayloadSchema = z.object({
  shares: z.array(z.object({ member: UuidSchema, wrapped_public_channel_key: base64url(1024) })),
  creator_pub: PubkeySchema,
  content_sig: ContentSigSchema,
})

export const MsgPublicChannelFrameSchema = EnvelopeSchema.extend({
  type: z.literal('MSG_PUBLIC_CHANNEL'),
  from: UuidSchema,
  to: z.literal('public'),
  payload: MsgPublicChannelPayloadSchema,
})
export const MsgPublicChannelDeliveredFrameSchema = EnvelopeSchema.extend({
  type: z.literal('MSG_PUBLIC_CHANNEL'),
  from: UuidSchema,
  to: z.literal('public'),
  payload: MsgPublicChannelDeliveredPayloadSchema,
})
// Server-originated broadcasts: `from` is the server whose pinned key verifies `sig`.
export const PublicChannelAddFrameSchema = EnvelopeSchema.extend({
  type: z.literal('PUBLIC_CHANNEL_ADD'),
  from: UuidSchema,
  payload: PublicChannelAddPayloadSchema,
})
export const PublicChannelUpdatedFrameSchema = EnvelopeSchema.extend({
  type: z.literal('PUBLIC_CHANNEL_UPDATED'),
  from: UuidSchema,
  payload: PublicChannelUpdatedPayloadSchema,
})
export const PublicChannelKeyShareFrameSchema = EnvelopeSchema.extend({
  type: z.literal('PUBLIC_CHANNEL_KEY_SHARE'),
  from: UuidSchema,
  payload: PublicChannelKeySharePayloadSchema,
})

export type PublicItem = z.infer<typeof PublicItemSchema>
export type MsgPublicChannelPayload = z.infer<typeof MsgPublicChannelPayloadSchema>
export type MsgPublicChannelDeliveredPayload = z.infer<typeof MsgPublicChannelDeliveredPayloadSchema>
export type PublicChannelAddPayload = z.infer<typeof PublicChannelAddPayloadSchema>
export type PublicChannelUpdatedPayload = z.infer<typeof PublicChannelUpdatedPayloadSchema>
export type PublicChannelKeySharePayload = z.infer<typeof PublicChannelKeySharePayloadSchema>
