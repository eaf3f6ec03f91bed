/** @module The end-to-end `content_sig` preimages (PROTOCOL.md §3.2, docs/wire.md §7). */

import { createHash } from 'node:crypto'
import { RSA_BYTES } from './_params.ts'
import { b64uDecodeCanonical, b64uEncode, canonicalBytes, concatBytes, utf8 } from './encoding.ts'
import type { PrivateKey, PublicKey } from './keys.ts'
import { sign, verify } from './sign.ts'

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** Canonical base64url only: a signature or ciphertext has exactly one accepted text (issue 15 §6). */
function tryDecode(b64: string): Uint8Array | null {
  try {
    return b64uDecodeCanonical(b64)
  } catch {
    return null
  }
}

/**
 * An RSA-4096 OAEP ciphertext is exactly 512 bytes. Fixing its length is what keeps the spec's
 * separator-less DM and public preimages apart (PROTOCOL.md §3.2 keeps them for interop): with a
 * 512-byte prefix, `from` (a UUID) and a decimal ts, no DM preimage is also a public one.
 */
function tryCiphertext(b64: string): Uint8Array | null {
  const ct = tryDecode(b64)
  return ct !== null && ct.byteLength === RSA_BYTES ? ct : null
}

/** DM preimage: raw ciphertext bytes ‖ from ‖ to ‖ ts (decimal), no separators. */
export function dmPreimage(ciphertext: Uint8Array, from: string, to: string, ts: number): Uint8Array {
  return concatBytes(ciphertext, utf8(`${from}${to}${ts}`))
}

/** Public-channel preimage: raw ciphertext bytes ‖ from ‖ ts. */
export function publicPreimage(ciphertext: Uint8Array, from: string, ts: number): Uint8Array {
  return concatBytes(ciphertext, utf8(`${from}${ts}`))
}

/** The manifest fields of FILE_START; a payload with more fields may be passed as it is. */
export type FileManifest = {
  file_id: string
  name: string
  size: number
  sha256: string
  mode: string
  chunks: number
}

/**
 * Manifest preimage: canonical JSON of every manifest field with from, to and ts, so no two
 * manifests share bytes. Fields are picked one by one: extra payload fields never leak in.
 */
export function fileStartPreimage(
  env: { from: string; to: string; ts: number },
  m: FileManifest,
): Uint8Array {
  const { file_id, name, size, sha256, mode, chunks } = m
  return canonicalBytes({
    kind: 'FILE_START',
    from: env.from,
    to: env.to,
    ts: env.ts,
    file_id,
    name,
    size,
    sha256,
    mode,
    chunks,
  })
}

/** Hex SHA-256 over the SHA-256 of each chunk's raw ciphertext, in index order. */
export function chunkDigest(ciphertexts: readonly Uint8Array[]): string {
  const h = createHash('sha256')
  for (const ct of ciphertexts) h.update(sha256(ct))
  return h.digest('hex')
}

export type FileEndFields = { from: string; to: string; file_id: string; chunks: number; digest: string }

/** End preimage: one signature over every chunk (via `digest`), bound to sender, recipient and file. */
export function fileEndPreimage(f: FileEndFields): Uint8Array {
  return canonicalBytes({ kind: 'FILE_END', ...f })
}

/**
 * Our own preimages (files) are canonical JSON with a `kind`, so they are domain-separated from
 * each other, and from the spec's DM and public preimages, which start with 512 ciphertext bytes
 * and end in decimal digits where ours end in `}`.
 */

/** Signs a content preimage with the user's key; base64url. */
export async function signContent(key: PrivateKey, preimage: Uint8Array): Promise<string> {
  return b64uEncode(await sign(key, preimage))
}

/** Verifies a content signature made by this project (one preimage, no variants, canonical base64url). */
export function verifyContent(key: PublicKey, preimage: Uint8Array, sigB64: string): boolean {
  const sig = tryDecode(sigB64)
  return sig !== null && verify(key, preimage, sig)
}

export type DmFields = { ciphertext: string; from: string; to: string; ts: number; content_sig: string }

/**
 * Verifies a DM `content_sig`. With `lenient`, also accepts what other implementations sign
 * (PROTOCOL.md §3.2): the base64url text concatenated, SHA-256 of the preimage signed as the
 * message, and canonical JSON of {ciphertext, from, to, ts}.
 */
export function verifyDm(key: PublicKey, m: DmFields, lenient = false): boolean {
  const ct = tryCiphertext(m.ciphertext)
  const sig = tryDecode(m.content_sig)
  if (ct === null || sig === null) return false
  const raw = dmPreimage(ct, m.from, m.to, m.ts)
  if (verify(key, raw, sig)) return true
  if (!lenient) return false
  const variants = [
    utf8(`${m.ciphertext}${m.from}${m.to}${m.ts}`),
    sha256(raw),
    canonicalBytes({ ciphertext: m.ciphertext, from: m.from, to: m.to, ts: m.ts }),
  ]
  return variants.some((v) => verify(key, v, sig))
}

/** Verifies a public-channel `content_sig` over ciphertext ‖ from ‖ ts. */
export function verifyPublic(
  key: PublicKey,
  ciphertext: string,
  from: string,
  ts: number,
  sigB64: string,
): boolean {
  const ct = tryCiphertext(ciphertext)
  return ct !== null && verifyContent(key, publicPreimage(ct, from, ts), sigB64)
}
