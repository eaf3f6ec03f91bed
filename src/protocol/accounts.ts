/** @module Accounts, login and `/list` (docs/wire.md §2–§4): the frames the spec leaves to each team. */

import { z } from 'zod'
import {
  B64uPubkeySchema,
  base64url,
  EnvelopeSchema,
  PubkeySchema,
  TsSchema,
  UsernameSchema,
  UuidOrEmptySchema,
  UuidSchema,
} from './envelope.ts'

/** "kdf: {name:"scrypt", salt, N, r, p}" (docs/wire.md §1); the server decides which values it accepts. */
export const KdfSchema = z.object({
  name: z.literal('scrypt'),
  salt: base64url(256),
  N: z.int().min(1),
  r: z.int().min(1),
  p: z.int().min(1),
})

/** HKDF output the server verifies against `pake_password` (32 bytes = 43 chars). */
const AuthKeySchema = base64url(128)
/** The password-encrypted private key; an RSA-4096 PKCS#8 blob is about 3.2 KB of base64url. */
const PrivkeyStoreSchema = base64url(16384)
/** A single-use server nonce that USER_HELLO echoes (docs/wire.md §3). */
const NonceSchema = base64url(256)

/** "USER_REGISTER { username, pubkey, privkey_store, kdf, auth_key }", signed with the new key (§2). */
export const UserRegisterPayloadSchema = z.object({
  username: UsernameSchema,
  pubkey: B64uPubkeySchema,
  privkey_store: PrivkeyStoreSchema,
  kdf: KdfSchema,
  auth_key: AuthKeySchema,
})

/** "AUTH_HELLO { login }": a username (any case) or a user id (§3). */
export const AuthHelloPayloadSchema = z.object({ login: z.string().min(1).max(64) })

/** "AUTH_CHALLENGE { kdf }", server-signed; unknown logins get a deterministic fake salt (§3). */
export const AuthChallengePayloadSchema = z.object({ kdf: KdfSchema })

/** "AUTH_RESPONSE { auth_key }" (§3): never the password itself. */
export const AuthResponsePayloadSchema = z.object({ auth_key: AuthKeySchema })

/** "AUTH_OK { user_id, username, pubkey, privkey_store, nonce, server_ts }", server-signed (§3). */
export const AuthOkPayloadSchema = z.object({
  user_id: UuidSchema,
  username: UsernameSchema,
  pubkey: B64uPubkeySchema,
  privkey_store: PrivkeyStoreSchema,
  nonce: NonceSchema,
  server_ts: TsSchema,
})

/** "USER_HELLO { client, pubkey, enc_pubkey, nonce }, from = user id, sig = PSS(user key, …)" (§3). */
export const UserHelloPayloadSchema = z.object({
  client: z.string().min(1).max(64),
  pubkey: B64uPubkeySchema,
  enc_pubkey: B64uPubkeySchema,
  nonce: NonceSchema,
  /** Which presence the client is pushed (docs/wire.md §14): everyone's (default) or its contacts'. */
  presence: z.enum(['all', 'contacts']).optional(),
})

/**
 * "USER_REKEY { privkey_store, kdf, auth_key }", signed with the user key, on a bound link (§3a):
 * the client moves its account to the KDF parameters it owns (salt derived from the username).
 */
export const UserRekeyPayloadSchema = z.object({
  privkey_store: PrivkeyStoreSchema,
  kdf: KdfSchema,
  auth_key: AuthKeySchema,
})

/** "LIST {after?, limit?}" (§4): one page of the online list, after the cursor `after`. */
export const ListPayloadSchema = z.object({
  after: z.string().max(128).optional(),
  limit: z.int().min(1).max(500).optional(),
})

/**
 * "USER_LIST { users: [{user_id, username, server_id, pubkey}], next?, total? } sorted by username"
 * (§4): `next` is the cursor of the following page, absent on the last one.
 */
export const UserListPayloadSchema = z.object({
  users: z.array(
    z.object({ user_id: UuidSchema, username: UsernameSchema, server_id: UuidSchema, pubkey: PubkeySchema }),
  ),
  next: z.string().max(128).optional(),
  total: z.int().min(0).optional(),
})

// Before login the client may not know its id yet: `from` is `""` (docs/wire.md, preamble).
export const UserRegisterFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_REGISTER'),
  from: UuidSchema,
  payload: UserRegisterPayloadSchema,
})
export const AuthHelloFrameSchema = EnvelopeSchema.extend({
  type: z.literal('AUTH_HELLO'),
  from: UuidOrEmptySchema,
  payload: AuthHelloPayloadSchema,
})
export const AuthChallengeFrameSchema = EnvelopeSchema.extend({
  type: z.literal('AUTH_CHALLENGE'),
  from: UuidSchema,
  payload: AuthChallengePayloadSchema,
})
export const AuthResponseFrameSchema = EnvelopeSchema.extend({
  type: z.literal('AUTH_RESPONSE'),
  from: UuidOrEmptySchema,
  payload: AuthResponsePayloadSchema,
})
export const AuthOkFrameSchema = EnvelopeSchema.extend({
  type: z.literal('AUTH_OK'),
  from: UuidSchema,
  payload: AuthOkPayloadSchema,
})
// "Servers should not reject a hello because of its `to`" (spec-notes §6.1).
export const UserHelloFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_HELLO'),
  from: UuidSchema,
  payload: UserHelloPayloadSchema,
})
export const UserRekeyFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_REKEY'),
  from: UuidSchema,
  payload: UserRekeyPayloadSchema,
})
export const ListFrameSchema = EnvelopeSchema.extend({
  type: z.literal('LIST'),
  from: UuidSchema,
  payload: ListPayloadSchema,
})
export const UserListFrameSchema = EnvelopeSchema.extend({
  type: z.literal('USER_LIST'),
  from: UuidSchema,
  payload: UserListPayloadSchema,
})

export type Kdf = z.infer<typeof KdfSchema>
export type UserRegisterPayload = z.infer<typeof UserRegisterPayloadSchema>
export type AuthHelloPayload = z.infer<typeof AuthHelloPayloadSchema>
export type AuthChallengePayload = z.infer<typeof AuthChallengePayloadSchema>
export type AuthResponsePayload = z.infer<typeof AuthResponsePayloadSchema>
export type AuthOkPayload = z.infer<typeof AuthOkPayloadSchema>
export type UserHelloPayload = z.infer<typeof UserHelloPayloadSchema>
export type UserRekeyPayload = z.infer<typeof UserRekeyPayloadSchema>
export type ListPayload = z.infer<typeof ListPayloadSchema>
export type UserListPayload = z.infer<typeof UserListPayloadSchema>
