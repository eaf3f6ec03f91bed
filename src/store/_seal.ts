/**
 * @module AES-256-GCM wrapping of the server's own secrets under a key kept outside the database,
 * so a copied or leaked database file alone reveals no private key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { DecryptFailed } from '../errors.ts'
import { logger } from '../log.ts'

const log = logger('store')
const KEY_BYTES = 32
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

/**
 * Reads the 32-byte key at `path`, or creates it with mode 0600 when it is missing.
 * With `mustExist` a missing file is an error: creating a new key would strand the data
 * already wrapped under the old one.
 */
export function loadOrCreateKey(path: string, mustExist: boolean): Uint8Array {
  try {
    return readKey(path)
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
  if (mustExist) {
    throw new Error(`key file ${path} is missing but the database holds secrets wrapped under it`)
  }
  const key = randomBytes(KEY_BYTES)
  let fd: number
  try {
    // 'wx' fails if another process created the file first; then use theirs.
    fd = openSync(path, 'wx', 0o600)
  } catch (err) {
    if (isExists(err)) return readKey(path)
    throw err
  }
  try {
    writeSync(fd, key)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return new Uint8Array(key)
}

function readKey(path: string): Uint8Array {
  const bytes = readFileSync(path)
  if (bytes.length !== KEY_BYTES) throw new Error(`key file ${path} must hold exactly 32 bytes`)
  if ((statSync(path).mode & 0o077) !== 0) log.warn('key file is readable by group or others', { path })
  return new Uint8Array(bytes)
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT'
}

function isExists(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'EEXIST'
}
