/** @module RSASSA-PSS-SHA-256: sign with the maximum salt, verify with salt auto-detection. */

import { verify as nodeVerify } from 'node:crypto'
import { PSS_SIGN, PSS_VERIFY, RSA_BYTES } from './_params.ts'
import {
  b64uDecode,
  b64uDecodeCanonical,
  b64uEncode,
  canonicalBytes,
  canonicalJson,
  type JsonStyle,
  utf8,
} from './encoding.ts'
import type { PrivateKey, PublicKey } from './keys.ts'

/** Signs `data` (WebCrypto runs it off the JS thread, so independent signs proceed in parallel). */
export async function sign(key: PrivateKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign(PSS_SIGN, key.sign, data as Uint8Array<ArrayBuffer>))
}

/** Verifies a PSS signature; never throws, and never accepts PKCS#1 v1.5 (PROTOCOL.md §3). */
export function verify(key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== RSA_BYTES) return false
  try {
    return nodeVerify('sha256', data, { key: key.object, ...PSS_VERIFY }, signature)
  } catch {
    return false
  }
}

/** Like `verify`, for a canonical base64url signature from the wire; other text is simply `false`. */
export function verifyB64(key: PublicKey, data: Uint8Array, signatureB64: string): boolean {
  let sig: Uint8Array
  try {
    sig = b64uDecodeCanonical(signatureB64)
  } catch {
    return false
  }
  return verify(key, data, sig)
}

// --- transport signatures (PROTOCOL.md §3.1) ---

/** `sig = PSS(key, canonical(payload))`, base64url. */
export async function signPayload(key: PrivateKey, payload: unknown): Promise<string> {
  return b64uEncode(await sign(key, canonicalBytes(payload)))
}

/** `signPayload` for a payload whose canonical JSON the caller built already (and keeps using). */
export async function signCanonical(key: PrivateKey, canonical: string): Promise<string> {
  return b64uEncode(await sign(key, utf8(canonical)))
}

const STRICT: readonly JsonStyle[] = ['canonical']
/** Server links accept the serialisations other implementations produce (PROTOCOL.md §3.1). */
const LENIENT: readonly JsonStyle[] = ['canonical', 'raw-utf8', 'spaced']

/**
 * Checks a transport `sig` over a payload exactly as received. `lenient` is for server links only;
 * user links accept canonical bytes alone.
 */
export function verifyPayload(key: PublicKey, payload: unknown, sig: string, lenient = false): boolean {
  let bytes: Uint8Array
  try {
    // Padded or standard base64 only from other implementations' servers (PROTOCOL.md §3 "accept
    // padded input"); users' links, whose signatures we make ourselves, take the one canonical form.
    bytes = lenient ? b64uDecode(sig) : b64uDecodeCanonical(sig)
  } catch {
    return false
  }
  // Each variant is built only when the ones before it failed: almost every peer signs canonical.
  const tried = new Set<string>()
  for (const style of lenient ? LENIENT : STRICT) {
    let text: string
    try {
      text = canonicalJson(payload, style)
    } catch {
      return false
    }
    if (tried.has(text)) continue
    tried.add(text)
    if (verify(key, utf8(text), bytes)) return true
  }
  return false
}
