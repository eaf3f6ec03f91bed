/** @module The SOCP envelope and the field schemas every payload is built from (PROTOCOL.md §2, §3). */

import { isIP } from 'node:net'
import { z } from 'zod'

// --- ids and encodings ---

/** "Ids are lowercase UUID v4 strings" (PROTOCOL.md §2). Uppercase and other versions are refused. */
export const UuidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'not a lowercase UUID v4')

const B64U_RE = /^[A-Za-z0-9_-]*={0,2}$/
// An encoder never produces a lone trailing sextet, nor padding up to a non-multiple of 4.
const b64uLengthOk = (s: string) => (s.endsWith('=') ? s.length % 4 === 0 : s.length % 4 !== 1)

/**
 * A base64url string of `min`..`max` chars: "base64url without padding everywhere; accept padded
 * input" (PROTOCOL.md §3). The length cap runs before the regex so a huge string costs nothing.
 */
export function base64url(max: number, min = 1) {
  return z
    .string()
    .min(min)
    .max(max)
    .regex(B64U_RE, 'not base64url')
    .refine(b64uLengthOk, 'bad base64url length')
}

/** Any base64url string, padded or not, possibly empty. */
export const Base64urlSchema = z
  .string()
  .regex(B64U_RE, 'not base64url')
  .refine(b64uLengthOk, 'bad base64url length')

/** "Hex only for file `sha256` (lowercase)" (PROTOCOL.md §3). */
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'not a lowercase hex SHA-256')

/** Integer Unix milliseconds; a float, a string or anything past 2^53 would break signing preimages. */
export const TsSchema = z.int().min(0)

/** A count or index: a safe non-negative integer. */
export const CountSchema = z.int().min(0)

// --- sized fields (caps keep one frame from holding megabytes in one string) ---

/** RSA-OAEP-4096 ciphertext: 512 bytes = 683 base64url chars; the cap leaves room for padding. */
export const CiphertextSchema = base64url(1024)

/** A user's RSASSA-PSS signature (`content_sig`, PROTOCOL.md §3.2): 683 chars for RSA-4096. */
export const ContentSigSchema = base64url(1024)

/** A public key as we send it: base64url(DER SPKI), 734 chars for RSA-4096. Strict: user links. */
export const B64uPubkeySchema = base64url(4096)

/**
 * A public key as peers send it: "Accept also base64url(PEM text) and raw PEM" (PROTOCOL.md §3), so
 * no charset check here; src/crypto decides whether it is an RSA-4096 key.
 */
export const PubkeySchema = z.string().min(1).max(4096)

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, ≤ 253 chars. */
const HOSTNAME_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`)
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

/**
 * True for an RFC 1123 name, a dotted IPv4 address, or a bracket-free IPv6 literal — and nothing
 * a URL parser would read as another address: no zone id (`fe80::1%eth0` names an interface of the
 * sender's machine), no name whose last label is a number (`0x7f.1`, `2130706433` are IPv4 to the
 * WHATWG parser that dials them, in spellings no address check would recognise).
 */
export function isHost(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false
  if (h.includes(':')) return isIP(h) === 6 && !h.includes('%')
  if (IPV4_RE.test(h)) return true
  const last = h.replace(/\.$/, '').split('.').at(-1) ?? ''
  return HOSTNAME_RE.test(h) && !/^(\d+|0x[0-9a-f]*)$/i.test(last)
}

/**
 * A host name or IP literal as a server advertises it (PROTOCOL.md §4 "Addresses"): an address that
 * would make an invalid URL is refused here, at decode, so nothing downstream can dial it.
 */
export const HostSchema = z.string().min(1).max(253).refine(isHost, 'not a host name, IPv4 or IPv6 address')

/** A TCP port. Server links are lenient (PROTOCOL.md, rule of thumb): a decimal string is accepted. */
export const PortSchema = z.union([
  z.int().min(1).max(65535),
  z
    .string()
    .regex(/^\d{1,5}$/)
    .transform(Number)
    .pipe(z.int().min(1).max(65535)),
])

/** Any envelope address: a UUID, `*`, `public`, `host:port`, or `""` before login (docs/wire.md). */
export const AddressSchema = z.string().max(256)

/** `""` is what a client that does not yet know its user id puts in `from` (docs/wire.md). */
export const UuidOrEmptySchema = z.union([UuidSchema, z.literal('')])

/** A display name or username as carried on the wire; the 3–32 `[a-z0-9_]` rule is the server's. */
export const UsernameSchema = z.string().min(1).max(64)

// --- envelope ---

/**
 * Transport `sig`: "missing and `""` both mean unsigned" (spec-notes §3), so both become
 * `undefined` and a handler cannot mistake an empty string for a signature.
 */
export const SigSchema = z
  .union([z.literal(''), base64url(1024)])
  .optional()
  .transform((s) => (s === '' ? undefined : s))

/**
 * "`{type, from, to, ts, payload, sig}` exactly … Unknown extra top-level keys from peers (`id`,
 * `relay`, `usig`) are ignored" (PROTOCOL.md §2): zod's default strip drops them.
 */
export const EnvelopeSchema = z.object({
  type: z.string().min(1).max(64),
  from: AddressSchema,
  to: AddressSchema,
  ts: TsSchema,
  payload: z.record(z.string(), z.unknown()),
  sig: SigSchema,
})

export type Envelope = z.infer<typeof EnvelopeSchema>
