/**
 * @module Sealing under an operator passphrase: scrypt stretches the passphrase into an AES-256-GCM
 * key (src/store/_seal.ts). Used for the identity key file and for identity backups; the account
 * key blobs have their own KDF (src/crypto/keyblob.ts) and are not touched here.
 */

import { randomBytes, scryptSync } from 'node:crypto'
import { DecryptFailed } from '../errors.ts'
import { sealer } from './_seal.ts'

/** scrypt N = 2^15, r = 8 (32 MiB, ≈ 0.1 s): paid once per server start, and per offline guess. */
const LOG_N = 15
const R = 8
const P = 1
const SALT_BYTES = 16
const MAGIC_BYTES = 8

function stretch(passphrase: string, salt: Uint8Array, logN: number, r: number, p: number): Uint8Array {
  const N = 2 ** logN
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 })
}

/** `magic(8) ‖ logN ‖ r ‖ p ‖ salt(16) ‖ sealed` — the magic says what the file is. */
export function passphraseSeal(
  plain: Uint8Array,
  passphrase: string,
  magic: string,
  aad: string,
): Uint8Array {
  if (Buffer.byteLength(magic) !== MAGIC_BYTES) throw new TypeError('magic must be 8 bytes')
  const salt = randomBytes(SALT_BYTES)
  const key = stretch(passphrase, salt, LOG_N, R, P)
  const head = Buffer.concat([Buffer.from(magic), Buffer.from([LOG_N, R, P]), salt])
  return new Uint8Array(Buffer.concat([head, sealer(key).seal(plain, aad)]))
}

/** True when `bytes` start with `magic`. */
export function hasMagic(bytes: Uint8Array, magic: string): boolean {
  return Buffer.from(bytes.subarray(0, MAGIC_BYTES)).equals(Buffer.from(magic))
}

/** Opens a `passphraseSeal` blob. @throws DecryptFailed for a wrong passphrase or a damaged file. */
export function passphraseOpen(
  bytes: Uint8Array,
  passphrase: string,
  magic: string,
  aad: string,
): Uint8Array {
  const head = MAGIC_BYTES + 3 + SALT_BYTES
  if (bytes.length < head || !hasMagic(bytes, magic)) throw new DecryptFailed()
  const [logN, r, p] = [bytes[MAGIC_BYTES]!, bytes[MAGIC_BYTES + 1]!, bytes[MAGIC_BYTES + 2]!]
  // Bounds on what a file may ask of us: a crafted header must not make us allocate gigabytes.
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4) throw new DecryptFailed()
  const key = stretch(passphrase, bytes.subarray(MAGIC_BYTES + 3, head), logN, r, p)
  return sealer(key).open(bytes.subarray(head), aad)
}
