/** @module The interop vectors (test/fixtures/vectors.json, a copy of the wire profile's vectors made with Python cryptography). */

import { resolve } from 'node:path'

/** The repository's own copy, so a clone with nothing beside it passes; CI checks it against ../shared when present. */
export const VECTORS_PATH = resolve(import.meta.dir, '../fixtures/vectors.json')

export async function loadVectors(): Promise<Vectors> {
  return (await Bun.file(VECTORS_PATH).json()) as Vectors
}
type KeyPem = { spki: string; pkcs8: string }
type SigVector = {
  payload: unknown
  signer: string
  sig_salt_max: string
  sig_salt_32: string
  sig_pkcs1v15_must_reject: string
  sig_over_spaced_variant: string
}

export type Vectors = {
  keys: Record<'alice' | 'bob' | 'server', KeyPem>
  ids: Record<'alice' | 'bob' | 'server', string>
  canonical_json: { payload: unknown; canonical: string; raw_utf8_variant: string; spaced_variant: string }[]
  transport_sig: SigVector[]
  dm: {
    from: string
    to: string
    ts: number
    plaintext_utf8: string
    ciphertext: string
    recipient: 'alice' | 'bob'
    sender_pub: string
    content_sig: string
    variants: Record<'b64_text_concat' | 'sha256_prehash_then_pss' | 'canonical_json_fields', string>
  }
  public: {
    from: string
    ts: number
    ciphertext_for_alice: string
    plaintext_utf8: string
    sender_pub: string
    content_sig: string
  }
  oaep_limits: { max_plaintext_bytes: number; ciphertext_bytes: number; ciphertext_b64url_chars: number }
  bad_keys_must_reject: Record<string, string>
  accept_pubkey_encodings: Record<string, string>
}
