/**
 * @module AES-256-GCM wrapping of the server's own secrets under a key kept outside the database,
 * so a copied or leaked database file alone reveals no private key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { DecryptFailed } from '../errors.ts'

export const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16

/** Wraps and unwraps byte strings; `aad` names the slot so two blobs cannot be swapped. */
export interface Sealer {
  seal(plain: Uint8Array, aad: string): Uint8Array
  open(blob: Uint8Array, aad: string): Uint8Array
}

/** Returns a sealer over a 32-byte key. Blobs are `iv(12) ‖ ciphertext ‖ tag(16)`. */
export function sealer(key: Uint8Array): Sealer {
  if (key.length !== KEY_BYTES) throw new TypeError('wrapping key must be 32 bytes')
  return {
    seal(plain, aad) {
      // A fresh random IV per seal: only a handful of blobs are ever written under one key.
      const iv = randomBytes(IV_BYTES)
      const c = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad, 'utf8'))
      const ct = Buffer.concat([c.update(plain), c.final()])
      return new Uint8Array(Buffer.concat([iv, ct, c.getAuthTag()]))
    },
    open(blob, aad) {
      if (blob.length < IV_BYTES + TAG_BYTES) throw new DecryptFailed()
      try {
        const iv = blob.subarray(0, IV_BYTES)
        const tag = blob.subarray(blob.length - TAG_BYTES)
        const d = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad, 'utf8'))
        d.setAuthTag(tag)
        const body = blob.subarray(IV_BYTES, blob.length - TAG_BYTES)
        return new Uint8Array(Buffer.concat([d.update(body), d.final()]))
      } catch {
        // Uniform failure (STYLE §6): wrong key, tampering and truncation look the same.
        throw new DecryptFailed()
      }
    },
  }
}
