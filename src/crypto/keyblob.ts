/**
 * @module The password-protected private-key blob and the login verifier (docs/wire.md §1).
 * The password never leaves the client: scrypt (memory-hard) makes a master secret, HKDF splits it
 * into a blob key and an auth key, and the server keeps only argon2id(auth key).
 */

import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { ChatError, DecryptFailed } from '../errors.ts'
import { b64uDecode, b64uEncode, fromUtf8, utf8 } from './encoding.ts'
import { kdfThreads } from './kdf-threads.ts'

export type KdfParams = { name: 'scrypt'; salt: string; N: number; r: number; p: number }

/**
 * 2^16 × 8 × 128 bytes = 64 MiB per derivation. Measured on the project machine: 2^15 ≈ 58 ms,
 * 2^16 ≈ 105 ms, 2^17 ≈ 300 ms per login; 2^16 doubles a guesser's cost for a tenth of a second.
 * This is also the client's floor: a login challenge may not ask for less (PROTOCOL.md §6).
 */
export const DEFAULT_KDF = { N: 2 ** 16, r: 8, p: 1 } as const
/** The default before the client owned its KDF (random salt, 2^15): accepted once, to migrate. */
export const LEGACY_KDF_FLOOR = 2 ** 15
/** 2^17 = 128 MiB: the most a server may make a client (or a registration) spend. */
export const KDF_CAP = 2 ** 17
const SALT_DOMAIN = 'socp/v1/kdf-salt\u0000'
const AAD = utf8('socp/v1/privkey-blob')

/**
 * The account's scrypt salt, derived on the client from a fixed domain string and the lower-cased
 * username (as password managers do with the e-mail): no server can choose it, and no two
 * accounts share one, so no precomputed table serves two users.
 */
export function accountSalt(username: string): string {
  const h = createHash('sha256')
    .update(utf8(`${SALT_DOMAIN}${username.toLowerCase()}`))
    .digest()
  return b64uEncode(h.subarray(0, 16))
}

/** The parameters a new (or migrated) account gets: the derived salt and the default cost. */
export function newKdfParams(username: string): KdfParams {
  return { name: 'scrypt', salt: accountSalt(username), ...DEFAULT_KDF }
}

/** The bounds every derivation and registration respects: scrypt, r = 8, p = 1, N a power of two in [2^15, 2^17]. */
export function assertKdfParams(k: KdfParams): void {
  const powerOfTwo = Number.isSafeInteger(k.N) && k.N > 1 && (k.N & (k.N - 1)) === 0
  let saltOk = false
  try {
    saltOk = b64uDecode(k.salt).byteLength >= 16
  } catch {}
  if (
    k.name !== 'scrypt' ||
    !powerOfTwo ||
    k.N < LEGACY_KDF_FLOOR ||
    k.N > KDF_CAP ||
    k.r !== 8 ||
    k.p !== 1 ||
    !saltOk
  ) {
    throw new ChatError('BAD_REQUEST', 'unsupported key-derivation parameters')
  }
}

/** `current`: the client's own parameters; `legacy`: an account from before, to migrate now. */
export type KdfVerdict = 'current' | 'legacy'

/**
 * The client's judgement of the parameters a login challenge offers for `username`.
 * @throws ChatError('AUTH_FAILED') below the floor, above the cap, or legacy when not allowed.
 */
export function judgeKdf(k: KdfParams, username: string, allowLegacy: boolean): KdfVerdict {
  try {
    assertKdfParams(k)
  } catch {
    throw new ChatError(
      'AUTH_FAILED',
      'the server asked for key-derivation parameters outside the client bounds',
    )
  }
  if (k.salt === accountSalt(username)) {
    if (k.N < DEFAULT_KDF.N)
      throw new ChatError('AUTH_FAILED', 'the server asked for a KDF cost below the client floor')
    return 'current'
  }
  if (!allowLegacy) {
    throw new ChatError(
      'AUTH_FAILED',
      'the server chose the KDF salt, and this account has already migrated to a client-derived one',
    )
  }
  return 'legacy'
}

/** `historyKey` seals the client's message history at rest (issue 13); it never leaves the client. */
export type DerivedKeys = { blobKey: Uint8Array; authKey: string; historyKey: Uint8Array }

/** Derives the blob key, the auth key and the history key (≈ 0.1 s, on a KDF thread); never beyond the cap. */
export async function deriveKeys(password: string, k: KdfParams): Promise<DerivedKeys> {
  assertKdfParams(k)
  const master = await kdfThreads.run({
    op: 'scrypt',
    password: password.normalize('NFC'),
    salt: b64uDecode(k.salt),
    length: 64,
    params: { N: k.N, r: k.r, p: k.p, maxmem: 256 * k.N * k.r * 2 },
  })
  const expand = (info: string) => new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), info, 32))
  return {
    blobKey: expand('socp/v1/privkey-blob'),
    authKey: b64uEncode(expand('socp/v1/auth')),
    historyKey: expand('socp/v1/client-history'),
  }
}

type Blob = { v: 1; kdf: KdfParams; iv: string; ct: string }

/** Seals a PKCS#8 private key under the blob key; the result is `privkey_store`. */
export function sealPrivateKey(pkcs8: Uint8Array, blobKey: Uint8Array, kdf: KdfParams): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', blobKey, iv).setAAD(AAD)
  const ct = Buffer.concat([cipher.update(pkcs8), cipher.final(), cipher.getAuthTag()])
  const blob: Blob = { v: 1, kdf, iv: b64uEncode(iv), ct: b64uEncode(ct) }
  return b64uEncode(utf8(JSON.stringify(blob)))
}

/** Reads the kdf parameters a blob was sealed with. @throws DecryptFailed on a malformed blob. */
export function blobKdf(store: string): KdfParams {
  return parseBlob(store).kdf
}

function parseBlob(store: string): Blob {
  try {
    const blob = JSON.parse(fromUtf8(b64uDecode(store))) as Blob
    if (blob.v !== 1 || typeof blob.iv !== 'string' || typeof blob.ct !== 'string') throw new Error()
    return blob
  } catch {
    throw new DecryptFailed()
  }
}

/** Opens `privkey_store`. @throws DecryptFailed — wrong password and corrupt blob look the same. */
export function openPrivateKey(store: string, blobKey: Uint8Array): Uint8Array {
  const blob = parseBlob(store)
  try {
    const data = b64uDecode(blob.ct)
    const decipher = createDecipheriv('aes-256-gcm', blobKey, b64uDecode(blob.iv)).setAAD(AAD)
    decipher.setAuthTag(data.subarray(data.byteLength - 16))
    return new Uint8Array(
      Buffer.concat([decipher.update(data.subarray(0, data.byteLength - 16)), decipher.final()]),
    )
  } catch {
    throw new DecryptFailed()
  }
}

// --- server side: the verifier stored as `pake_password` ---

/** argon2id of the auth key, on a KDF thread (src/crypto/kdf-threads.ts). */
export function hashVerifier(authKey: string): Promise<string> {
  return kdfThreads.run({ op: 'argon2-hash', password: authKey, params: { memoryCost: 19456, timeCost: 2 } })
}

/** Checks an auth key against a stored verifier; never throws. */
export async function checkVerifier(authKey: string, verifier: string): Promise<boolean> {
  try {
    return await kdfThreads.run({ op: 'argon2-verify', password: authKey, hash: verifier })
  } catch {
    return false
  }
}

/** A stable fake salt for an unknown login, so its challenge looks like a real user's. */
export function fakeSalt(secret: Uint8Array, login: string): string {
  return b64uEncode(createHmac('sha256', secret).update(login.toLowerCase()).digest().subarray(0, 16))
}
