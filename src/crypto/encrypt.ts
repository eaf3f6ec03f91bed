/** @module RSA-OAEP-SHA-256 with the 446-byte limit; every decryption failure looks the same. */

import { publicEncrypt } from 'node:crypto'
import { ChatError, DecryptFailed } from '../errors.ts'
import { OAEP, OAEP_MAX_PLAINTEXT, OAEP_NODE, RSA_BYTES } from './_params.ts'
import type { PrivateKey, PublicKey } from './keys.ts'

/**
 * Encrypts one block for `key`. Encryption is cheap (≈ 0.1 ms), so it runs inline.
 * @throws ChatError('BAD_REQUEST') above 446 bytes: callers split or refuse, never truncate.
 */
export function encrypt(key: PublicKey, plaintext: Uint8Array): Uint8Array {
  if (plaintext.byteLength > OAEP_MAX_PLAINTEXT) {
    throw new ChatError('BAD_REQUEST', `at most ${OAEP_MAX_PLAINTEXT} bytes fit in one RSA-4096 block`)
  }
  return new Uint8Array(publicEncrypt({ key: key.object, ...OAEP_NODE }, plaintext))
}

/** Decrypts one block off the JS thread. @throws DecryptFailed, whatever the cause. */
export async function decrypt(key: PrivateKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  if (ciphertext.byteLength !== RSA_BYTES) throw new DecryptFailed()
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(OAEP, key.decrypt, ciphertext as Uint8Array<ArrayBuffer>),
    )
  } catch {
    throw new DecryptFailed()
  }
}
