/** @module File transfer (SOCP §9.4, docs/wire.md §7): FILE_START, FILE_CHUNK, FILE_END. */

import { z } from 'zod'
import {
  B64uPubkeySchema,
  CiphertextSchema,
  ContentSigSchema,
  CountSchema,
  EnvelopeSchema,
  Sha256HexSchema,
  UuidSchema,
} from './envelope.ts'

/**
 * "FILE_START {file_id, name, size, sha256, mode:"dm", chunks, sender_pub, content_sig}"
 * (docs/wire.md §7). `name` is untrusted: the receiver sanitises it before touching the disk.
 * Only `dm` exists: the spec gives `public` files no mechanism (spec-notes §12).
 */
export const FileStartPayloadSchema = z.object({
  file_id: UuidSchema,
  name: z.string().min(1).max(255),
  size: CountSchema,
  sha256: Sha256HexSchema,
  mode: z.literal('dm'),
  chunks: CountSchema,
  sender_pub: B64uPubkeySchema,
  content_sig: ContentSigSchema,
})

/** "FILE_CHUNK {file_id, index, ciphertext}": one RSA-OAEP block of ≤ 446 plaintext bytes. */
export const FileChunkPayloadSchema = z.object({
  file_id: UuidSchema,
  index: CountSchema,
  ciphertext: CiphertextSchema,
})

/** "FILE_END {file_id, chunks, content_sig}": the one signature that binds every chunk. */
export const FileEndPayloadSchema = z.object({
  file_id: UuidSchema,
  chunks: CountSchema,
  content_sig: ContentSigSchema,
})

// "`from` and `to` are the user ids" (docs/wire.md §7), also when delivered to the recipient.
export const FileStartFrameSchema = EnvelopeSchema.extend({
  type: z.literal('FILE_START'),
  from: UuidSchema,
  to: UuidSchema,
  payload: FileStartPayloadSchema,
})
export const FileChunkFrameSchema = EnvelopeSchema.extend({
  type: z.literal('FILE_CHUNK'),
  from: UuidSchema,
  to: UuidSchema,
  payload: FileChunkPayloadSchema,
})
export const FileEndFrameSchema = EnvelopeSchema.extend({
  type: z.literal('FILE_END'),
  from: UuidSchema,
  to: UuidSchema,
  payload: FileEndPayloadSchema,
})

export type FileStartPayload = z.infer<typeof FileStartPayloadSchema>
export type FileChunkPayload = z.infer<typeof FileChunkPayloadSchema>
export type FileEndPayload = z.infer<typeof FileEndPayloadSchema>
