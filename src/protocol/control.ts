/** @module Transport control (SOCP §9.5): ACK, ERROR, CTRL_CLOSE. */

import { z } from 'zod'
import { EnvelopeSchema } from './envelope.ts'

/** "ACK: optional, transport level. `payload {msg_ref}`" (spec-notes §6.5); we put the acked type there. */
export const AckPayloadSchema = z.object({ msg_ref: z.string().max(256) })

/**
 * "`ERROR` {code, detail}" (PROTOCOL.md §5). `code` is any string so a peer's unknown code never
 * crashes us ("Never crash on an unknown code", spec-notes §6.5); compare it with ERROR_CODES. A
 * missing `detail` (seen from other implementations) reads as `""`.
 */
export const ErrorPayloadSchema = z.object({
  code: z.string().min(1).max(64),
  detail: z.string().max(1024).default(''),
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
