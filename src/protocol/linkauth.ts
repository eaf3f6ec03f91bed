/**
 * @module Link authentication (PROTOCOL.md §4 "A link is authenticated before it counts", docs/wire.md
 * §10): the accepting side's SERVER_CHALLENGE and each side's SERVER_PROOF. A hello's `sig` covers
 * only {host, port, pubkey}, so it can be replayed by anyone who saw it; a proof over a fresh nonce
 * and both ids cannot.
 */

import { z } from 'zod'
import { AddressSchema, base64url, EnvelopeSchema, PubkeySchema, UuidSchema } from './envelope.ts'

/** 32 random bytes as base64url (43 chars); the cap keeps a hostile nonce small. */
export const NonceSchema = base64url(64, 22)

/** The acceptor's challenge: unsigned (a fake hello must not cost us an RSA signature). */
export const ServerChallengePayloadSchema = z.object({
  nonce: NonceSchema,
  /** Who the acceptor says it is; believed only once its SERVER_PROOF verifies with `pubkey`. */
  server_id: UuidSchema,
  pubkey: PubkeySchema,
})

/**
 * A proof of key possession: the frame's `sig` over this payload binds the challenge `nonce`, the
 * prover's id and the verifier's id. The dialer's proof carries its own `challenge` for the acceptor.
 */
export const ServerProofPayloadSchema = z.object({
  nonce: NonceSchema,
  /** The prover: the dialer's hello `from`, or the acceptor's id. */
  server_id: AddressSchema,
  /** The verifier. */
  peer_id: AddressSchema,
  challenge: NonceSchema.optional(),
  /**
   * A closed mesh only (docs/wire.md §10): HMAC-SHA256 under the mesh's join secret over (the
   * other side's nonce, prover, verifier), so a key of one's own is not enough to link.
   */
  admit: base64url(43, 43).optional(),
})

export const ServerChallengeFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_CHALLENGE'),
  from: UuidSchema,
  payload: ServerChallengePayloadSchema,
})
export const ServerProofFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_PROOF'),
  payload: ServerProofPayloadSchema,
})

export type ServerChallengePayload = z.infer<typeof ServerChallengePayloadSchema>
export type ServerProofPayload = z.infer<typeof ServerProofPayloadSchema>
