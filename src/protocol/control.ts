/** @module Transport control (SOCP §9.5): ACK, ERROR, CTRL_CLOSE. */

import { z } from 'zod'
import { EnvelopeSchema } from './envelope.ts'
import { DeliveryAckSchema, MAX_ACKS_PER_FRAME } from './reliable.ts'

/** "ACK: optional, transport level. `payload {msg_ref}`" (spec-notes §6.5); we put the acked type there. */
export const AckPayloadSchema = z.object({
  msg_ref: z.string().max(256),
  /** Ours (docs/wire.md §11): with `msg_ref: "DELIVERY"`, the frames accepted since the last ACK. */
  acks: z.array(DeliveryAckSchema).max(MAX_ACKS_PER_FRAME).optional(),
  /**
   * Ours (docs/wire.md §13): with `msg_ref: "KEPT"`, from the server "kept frames up to this
   * sequence number were handed over", from the client "…and handled here"; only then forgotten.
   */
  upto: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
})

/**
 * "`ERROR` {code, detail}" (PROTOCOL.md §5). `code` is any string so a peer's unknown code never
 * crashes us ("Never crash on an unknown code", spec-notes §6.5); compare it with ERROR_CODES. A
 * missing `detail` (seen from other implementations) reads as `""`.
 */
export const ErrorPayloadSchema = z.object({
  code: z.string().min(1).max(64),
  detail: z.string().max(1024).default(''),
  /** Ours (docs/wire.md §11): the `ref` of the frame this error refuses, when it refuses one. */
  msg_ref: z.string().max(256).optional(),
})

/**
 * WebSocket close code for a session replaced by a newer login of the same user, sent after
 * `ERROR LOGGED_IN_ELSEWHERE` (docs/wire.md §8). Clients must not reconnect on it: the newer
 * session would be replaced in turn.
 */
export const CLOSE_LOGGED_IN_ELSEWHERE = 4002

/** "A `{"type":"CTRL_CLOSE"}` frame MAY be sent first" before a normal close (spec-notes §2). */
export const CtrlClosePayloadSchema = z.object({})

export const AckFrameSchema = EnvelopeSchema.extend({ type: z.literal('ACK'), payload: AckPayloadSchema })
export const ErrorFrameSchema = EnvelopeSchema.extend({
  type: z.literal('ERROR'),
  payload: ErrorPayloadSchema,
})
export const CtrlCloseFrameSchema = EnvelopeSchema.extend({
  type: z.literal('CTRL_CLOSE'),
  payload: CtrlClosePayloadSchema,
})

export type AckPayload = z.infer<typeof AckPayloadSchema>
export type ErrorPayload = z.infer<typeof ErrorPayloadSchema>
export type CtrlClosePayload = z.infer<typeof CtrlClosePayloadSchema>
