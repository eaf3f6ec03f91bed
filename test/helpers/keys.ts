/** @module RSA-4096 test keypairs, generated once per test process and shared by every test. */

import { generateKeyPair, type KeyPair } from '../../src/crypto/index.ts'

const pool = new Map<number, Promise<KeyPair>>()

/**
 * The i-th test keypair. Generation costs ≈ 0.6 s, so each index is made once per process and
 * reused; tests that need distinct users take distinct indices.
 */
export function testKey(i: number): Promise<KeyPair> {
  const key = pool.get(i) ?? generateKeyPair()
  pool.set(i, key)
  return key
}
