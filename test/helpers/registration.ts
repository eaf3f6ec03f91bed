/**
 * @module A USER_REGISTER payload built the cheap way, for tests and benchmarks that register over
 * raw sockets: the blob is opaque to the server, so a random blob key replaces the password's
 * scrypt, and the verifier's preimage is random. No test-runner import, so `bench/` can use it.
 */

import { randomBytes } from 'node:crypto'
import { b64uEncode, type KeyPair, newKdfParams, sealPrivateKey } from '../../src/crypto/index.ts'

export function cheapRegistration(username: string, key: KeyPair) {
  const kdf = newKdfParams(username)
  return {
    username,
    pubkey: key.publicKey.spki,
    privkey_store: sealPrivateKey(key.pkcs8, randomBytes(32), kdf),
    kdf,
    auth_key: b64uEncode(randomBytes(32)),
  }
}
