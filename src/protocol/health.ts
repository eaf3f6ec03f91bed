/** @module Link health (SOCP §8.4, PROTOCOL.md §4): HEARTBEAT. */

import { z } from 'zod'
import { EnvelopeSchema } from './envelope.ts'

/** "`HEARTBEAT` {} every 15 s on every server link"; never answered (PROTOCOL.md §4). */
export const HeartbeatPayloadSchema = z.object({})

export const HeartbeatFrameSchema = EnvelopeSchema.extend({
  type: z.literal('HEARTBEAT'),
  payload: HeartbeatPayloadSchema,
})

export type HeartbeatPayload = z.infer<typeof HeartbeatPayloadSchema>
