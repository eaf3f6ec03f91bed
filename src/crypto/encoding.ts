/** @module base64url, UTF-8 and the canonical JSON of PROTOCOL.md §3.1. */

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** base64url without padding (PROTOCOL.md §3: "base64url without padding everywhere"). */
export function b64uEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

const B64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/

/** Decodes base64url, also padded and standard base64 (spec-notes §3); throws on other input. */
export function b64uDecode(text: string): Uint8Array {
  if (!B64_RE.test(text) || text.length % 4 === 1) throw new TypeError('invalid base64url')
  return new Uint8Array(Buffer.from(text.replaceAll('+', '-').replaceAll('/', '_'), 'base64url'))
}

const CANONICAL_B64U_RE = /^[A-Za-z0-9_-]*$/

/**
 * Decodes base64url in its one canonical form: no padding, no `+` or `/`, and zero unused low bits
 * (re-encoding gives the same text). Everything users sign or encrypt is decoded with this, so
 * one value has one text and a replay cache cannot be fooled by a second spelling (issue 15 §6).
 * @throws TypeError on any other input.
 */
export function b64uDecodeCanonical(text: string): Uint8Array {
  if (!CANONICAL_B64U_RE.test(text) || text.length % 4 === 1) throw new TypeError('invalid base64url')
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'))
  if (b64uEncode(bytes) !== text) throw new TypeError('non-canonical base64url')
  return bytes
}

/** True when `s` holds a UTF-16 surrogate that is not half of a pair (it has no UTF-8 form). */
export function hasLoneSurrogate(s: string): boolean {
  return !s.isWellFormed()
}

/** UTF-8 of well-formed text. @throws TypeError on a lone surrogate (TextEncoder would write U+FFFD). */
export function utf8(text: string): Uint8Array {
  if (hasLoneSurrogate(text)) throw new TypeError('lone surrogate: the text has no UTF-8 form')
  return encoder.encode(text)
}

/** Strict UTF-8 decoding: throws on invalid sequences rather than inventing U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

// --- canonical JSON ---

export type JsonStyle = 'canonical' | 'raw-utf8' | 'spaced'

const NAMED: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
}

function hex4(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`
}

/** Printable ASCII without `"` or `\\`: what every id, key and base64url value is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** Python's `json.dumps` string escaping: ensure_ascii escapes all but printable ASCII. */
function quote(s: string, asciiOnly: boolean): string {
  // Such strings need no escaping in any style, and the native check is far cheaper than the loop
  // (canonicalisation was a quarter to half of server JS time in the mesh benchmark).
  if (PLAIN.test(s)) return `"${s}"`
  // A lone surrogate would be escaped in one style and turned into U+FFFD in another, so two
  // payloads could share a signature (issue 15 §6): no style accepts one.
  if (hasLoneSurrogate(s)) throw new TypeError('canonical JSON refuses lone surrogates')
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string
    const code = s.charCodeAt(i)
    const named = NAMED[ch]
    if (named !== undefined) out += named
    else if (code < 0x20 || (asciiOnly && code > 0x7e)) out += hex4(code)
    else out += ch
  }
  return `${out}"`
}

/**
 * Python sorts keys by code point; JS `<` compares UTF-16 units, which differs only where one
 * string has a surrogate (a code point above U+FFFF) and the other a unit from U+E000 up.
 * Compared unit by unit, without building arrays: it runs for every key pair of every payload.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys && (xs ? y : x) >= 0xe000) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

/**
 * canonical(x) of PROTOCOL.md §3.1: byte-identical to Python
 * `json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`.
 * The other styles are the variants accepted from peers on server links.
 * @throws TypeError on floats, non-finite numbers and values JSON cannot hold.
 */
export function canonicalJson(value: unknown, style: JsonStyle = 'canonical'): string {
  const asciiOnly = style !== 'raw-utf8'
  const [comma, colon] = style === 'spaced' ? [', ', ': '] : [',', ':']
  const walk = (v: unknown): string => {
    if (v === null) return 'null'
    if (typeof v === 'boolean') return v ? 'true' : 'false'
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new TypeError('canonical JSON holds integers only')
      return String(v)
    }
    if (typeof v === 'string') return quote(v, asciiOnly)
    if (Array.isArray(v)) return `[${v.map(walk).join(comma)}]`
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined)
      entries.sort(([a], [b]) => byCodePoint(a, b))
      return `{${entries.map(([k, x]) => `${quote(k, asciiOnly)}${colon}${walk(x)}`).join(comma)}}`
    }
    throw new TypeError(`canonical JSON cannot hold ${typeof v}`)
  }
  return walk(value)
}

/** The bytes a transport signature covers. */
export function canonicalBytes(value: unknown, style: JsonStyle = 'canonical'): Uint8Array {
  return utf8(canonicalJson(value, style))
}
