/**
 * @module Our reliability frames (docs/wire.md §11, §12): the per-frame delivery acknowledgement a
 * server sends for every DM, public batch and file frame it accepted, and the directory lookup a
 * client uses for a user who is not online. Neither is in SOCP v1.3; both ride on user links only.
 */

import { z } from 'zod'
import { EnvelopeSchema, PubkeySchema, UsernameSchema, UuidSchema } from './envelope.ts'

/** What became of one accepted frame: handed on now, or kept for an offline recipient. */
export const DeliveryStatusSchema = z.enum(['delivered', 'queued'])

/** "ACK {msg_ref: "DELIVERY", acks: [{ref, status}]}": up to 256 refs per frame (docs/wire.md §11). */
export const DeliveryAckSchema = z.object({
  ref: z.string().min(1).max(128),
  status: DeliveryStatusSchema,
})
export const MAX_ACKS_PER_FRAME = 256

/** "USER_LOOKUP {user}": a username (any case) or user id (docs/wire.md §12). */
export const UserLookupPayloadSchema = z.object({ user: z.string().min(1).max(64) })

/** "USER_ENTRY {user_id, username, server_id, pubkey, online}", server-signed (docs/wire.md §12). */
export const UserEntryPayloadSchema = z.object({
  user_id: UuidSchema,
  username: UsernameSchema,
  server_id: UuidSchema,
  pubkey: PubkeySchema,
  online: z.boolean(),
})

export const UserLookupFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_LOOKUP'),
  from: UuidSchema,
  payload: UserLookupPayloadSchema,
})
export const UserEntryFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_ENTRY'),
  from: UuidSchema,
  payload: UserEntryPayloadSchema,
})

export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>
export type DeliveryAck = z.infer<typeof DeliveryAckSchema>
export type UserLookupPayload = z.infer<typeof UserLookupPayloadSchema>
export type UserEntryPayload = z.infer<typeof UserEntryPayloadSchema>

/** The frames a server acknowledges one by one, and what each one's `ref` is made of. */
type Acked =
  | { type: 'MSG_DIRECT'; payload: { content_sig: string } }
  | { type: 'MSG_PUBLIC_CHANNEL'; payload: { items: readonly { content_sig: string }[] } }
  | { type: 'FILE_START' | 'FILE_END'; payload: { file_id: string } }
  | { type: 'FILE_CHUNK'; payload: { file_id: string; index: number } }

/**
 * The `ref` both ends compute for a frame (docs/wire.md §11): a prefix of the sender's content
 * signature (randomised PSS, so unique per message) or the file id and chunk index.
 * Null for frames that are not acknowledged this way.
 */
export function deliveryRef(f: { type: string; payload: unknown }): string | null {
  const g = f as Acked
  switch (g.type) {
    case 'MSG_DIRECT':
      return `DM:${g.payload.content_sig.slice(0, 43)}`
    case 'MSG_PUBLIC_CHANNEL':
      return `ALL:${g.payload.items[0]?.content_sig.slice(0, 43) ?? ''}`
    case 'FILE_START':
      return `FS:${g.payload.file_id}`
    case 'FILE_CHUNK':
      return `FC:${g.payload.file_id}:${g.payload.index}`
    case 'FILE_END':
      return `FE:${g.payload.file_id}`
    default:
      return null
  }
}
