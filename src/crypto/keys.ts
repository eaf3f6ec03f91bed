/** @module RSA-4096 key generation, import/export and validation; every key is imported once. */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  generateKeyPair as nodeGenerate,
} from 'node:crypto'
import { promisify } from 'node:util'
import { BoundedMap } from '../bounded.ts'
import { ChatError } from '../errors.ts'
import { MODULUS_BITS, OAEP_IMPORT, PSS_IMPORT, PUBLIC_EXPONENT } from './_params.ts'
import { b64uDecode, b64uEncode, fromUtf8 } from './encoding.ts'

const generate = promisify(nodeGenerate)

/** A validated RSA-4096 public key: `spki` is its one wire form, base64url(DER SPKI). */
export type PublicKey = { readonly spki: string; readonly object: KeyObject }

/** A private key held as two non-extractable WebCrypto keys, so sign/decrypt run off the JS thread. */
export type PrivateKey = {
  readonly sign: CryptoKey
  readonly decrypt: CryptoKey
  readonly publicKey: PublicKey
}

export type KeyPair = {
  readonly privateKey: PrivateKey
  readonly publicKey: PublicKey
  readonly pkcs8: Uint8Array
}

function assertStrong(key: KeyObject): void {
  const d = key.asymmetricKeyDetails
  if (
    key.asymmetricKeyType !== 'rsa' ||
    d?.modulusLength !== MODULUS_BITS ||
    d.publicExponent !== PUBLIC_EXPONENT
  ) {
    throw new ChatError('BAD_KEY', 'key must be RSA-4096 with e = 65537')
  }
}

function looksLikePem(text: string): boolean {
  return text.trimStart().startsWith('-----BEGIN')
}

/** Turns any accepted public-key text into a KeyObject: b64url DER SPKI or PKCS#1, b64url(PEM), PEM. */
function parsePublic(text: string): KeyObject {
  if (looksLikePem(text)) return createPublicKey(text)
  const der = Buffer.from(b64uDecode(text.trim()))
  if (looksLikePem(der.toString('latin1', 0, 16))) return createPublicKey(fromUtf8(der))
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' })
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' })
  }
}

const CACHE_LIMIT = 10_000
const publicCache = new BoundedMap<string, PublicKey>(CACHE_LIMIT)

/**
 * Validates and imports a peer's public key (PROTOCOL.md §3 "keys", "public key on the wire").
 * Results are cached by their text, so a key seen on every frame is parsed once.
 * @throws ChatError('BAD_KEY') for anything but RSA-4096, e = 65537.
 */
export function importPublicKey(text: string): PublicKey {
  const hit = publicCache.get(text)
  if (hit) return hit
  let object: KeyObject
  try {
    object = parsePublic(text)
  } catch {
    throw new ChatError('BAD_KEY', 'not a readable RSA public key')
  }
  assertStrong(object)
  const spki = b64uEncode(object.export({ format: 'der', type: 'spki' }))
  const key: PublicKey = spki === text ? { spki, object } : (publicCache.get(spki) ?? { spki, object })
  publicCache.set(text, key)
  publicCache.set(spki, key)
  return key
}

/** Imports a PKCS#8 DER private key (bytes or base64url) once, for both signing and decryption. */
export async function importPrivateKey(pkcs8: Uint8Array | string): Promise<PrivateKey> {
  const der = typeof pkcs8 === 'string' ? b64uDecode(pkcs8) : pkcs8
  let object: KeyObject
  try {
    object = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  } catch {
    throw new ChatError('BAD_KEY', 'not a readable RSA private key')
  }
  assertStrong(object)
  const bytes = new Uint8Array(der)
  const [sign, decrypt] = await Promise.all([
    crypto.subtle.importKey('pkcs8', bytes, PSS_IMPORT, false, ['sign']),
    crypto.subtle.importKey('pkcs8', bytes, OAEP_IMPORT, false, ['decrypt']),
  ])
  const publicKey = importPublicKey(
    b64uEncode(createPublicKey(object).export({ format: 'der', type: 'spki' })),
  )
  return { sign, decrypt, publicKey }
}

/** Generates an RSA-4096 keypair (≈ 0.6 s, off the JS thread). `pkcs8` is kept for the key blob. */
export async function generateKeyPair(): Promise<KeyPair> {
  const { privateKey } = await generate('rsa', {
    modulusLength: MODULUS_BITS,
    publicExponent: Number(PUBLIC_EXPONENT),
  })
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }))
  const imported = await importPrivateKey(pkcs8)
  return { privateKey: imported, publicKey: imported.publicKey, pkcs8 }
}

/** SHA-256 of the DER SPKI, as 16 groups of 4 hex digits, to compare out of band. */
export function fingerprint(key: PublicKey): string {
  const hex = createHash('sha256').update(b64uDecode(key.spki)).digest('hex')
  return hex.match(/.{4}/g)!.join(':')
}
