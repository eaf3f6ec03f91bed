/** @module The socket edge: raw bytes in → one typed frame or one typed failure; frames out → JSON text. */

import type { z } from 'zod'
import { EnvelopeSchema } from './envelope.ts'
import {
  SERVER_TO_CLIENT_TYPES,
  SERVER_TO_SERVER_TYPES,
  type ServerToClientFrame,
  ServerToClientFrameSchema,
  type ServerToServerFrame,
  ServerToServerFrameSchema,
  USER_TO_SERVER_TYPES,
  type UserToServerFrame,
  UserToServerFrameSchema,
} from './frames.ts'

/** "64 KiB on user links" (PROTOCOL.md §1). */
export const MAX_USER_TO_SERVER_BYTES = 64 * 1024
/** "1 MiB on server links" (PROTOCOL.md §1). */
export const MAX_SERVER_TO_SERVER_BYTES = 1024 * 1024
/** What a client accepts from its own server: generous, the server already capped what it relays. */
export const MAX_SERVER_TO_CLIENT_BYTES = 16 * 1024 * 1024
/** No frame needs more than a handful of levels; deeper input is refused before anything recurses. */
export const MAX_DEPTH = 32

export type LinkKind = 'userToServer' | 'serverToServer' | 'serverToClient'
export type RawFrame = string | ArrayBuffer | Uint8Array
export type DecodeErrorCode = 'TOO_LARGE' | 'BAD_REQUEST' | 'UNKNOWN_TYPE'
export type DecodeOptions = { maxBytes?: number }
/** Any frame of any link kind, for callers whose `kind` is only known at run time. */
export type AnyFrame = UserToServerFrame | ServerToServerFrame | ServerToClientFrame

/**
 * `rawPayload` is the payload object exactly as parsed, before any normalisation: signatures are
 * verified over it and relays forward it unchanged (PROTOCOL.md §3.1, §4). Never mutate it.
 * `type` on a failure is the frame's own `type` when it was a string of ≤ 64 chars, so a caller can
 * stay quiet instead of answering an `ERROR` with an `ERROR` (PROTOCOL.md §4). It is peer text:
 * log it, never echo it in a reply.
 */
export type DecodeResult<F> =
  | { ok: true; frame: F; rawPayload: Record<string, unknown> }
  | { ok: false; error: { code: DecodeErrorCode; detail: string }; type?: string }

const KINDS = {
  userToServer: { schema: UserToServerFrameSchema, types: new Set<string>(USER_TO_SERVER_TYPES) },
  serverToServer: { schema: ServerToServerFrameSchema, types: new Set<string>(SERVER_TO_SERVER_TYPES) },
  serverToClient: { schema: ServerToClientFrameSchema, types: new Set<string>(SERVER_TO_CLIENT_TYPES) },
} as const

const DEFAULT_MAX: Record<LinkKind, number> = {
  userToServer: MAX_USER_TO_SERVER_BYTES,
  serverToServer: MAX_SERVER_TO_SERVER_BYTES,
  serverToClient: MAX_SERVER_TO_CLIENT_BYTES,
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

const fail = (code: DecodeErrorCode, detail: string, type?: string) =>
  ({ ok: false, error: { code, detail }, ...(type === undefined ? {} : { type }) }) as const

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * True when brackets outside strings nest deeper than `limit`. A linear scan of the text, run before
 * `JSON.parse`, so nothing ever builds or walks a deep structure (zod recurses; 10^5 levels would
 * overflow the stack).
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      // A backslash escapes the next char, which may be a quote.
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) depth++
    else if (c === 0x7d || c === 0x5d) depth--
    if (depth > limit) return true
  }
  return false
}

/** Names the first failing field without echoing input: only schema-like key names and indices. */
function describe(where: string, error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return `bad ${where}`
  const path = issue.path.map((k) =>
    typeof k === 'number' || /^[A-Za-z_]{1,32}$/.test(String(k)) ? String(k) : '?',
  )
  return `bad ${where}${path.length > 0 ? ` at ${path.join('.')}` : ''} (${issue.code})`
}

function toText(raw: RawFrame, max: number): { text: string } | { error: ReturnType<typeof fail> } {
  if (typeof raw === 'string') {
    // UTF-8 never takes fewer bytes than UTF-16 code units, so the cheap length check comes first.
    if (raw.length > max || Buffer.byteLength(raw, 'utf8') > max)
      return { error: fail('TOO_LARGE', `frame exceeds ${max} bytes`) }
    return { text: raw }
  }
  const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw)
  if (bytes.byteLength > max) return { error: fail('TOO_LARGE', `frame exceeds ${max} bytes`) }
  try {
    return { text: utf8.decode(bytes) }
  } catch {
    return { error: fail('BAD_REQUEST', 'frame is not valid UTF-8') }
  }
}

function decodeAny(raw: RawFrame, kind: LinkKind, opts: DecodeOptions) {
  const decoded = toText(raw, opts.maxBytes ?? DEFAULT_MAX[kind])
  if ('error' in decoded) return decoded.error
  // "Trim surrounding whitespace before parsing (some peers append `\n`)" (PROTOCOL.md §1).
  const text = decoded.text.trim()
  if (nestsDeeperThan(text, MAX_DEPTH))
    return fail('BAD_REQUEST', `frame nests deeper than ${MAX_DEPTH} levels`)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return fail('BAD_REQUEST', 'frame is not valid JSON')
  }
  if (!isPlainObject(parsed)) return fail('BAD_REQUEST', 'frame is not a JSON object')
  const type = typeof parsed.type === 'string' && parsed.type.length <= 64 ? parsed.type : undefined

  const { schema, types } = KINDS[kind]
  // Every frame schema extends the envelope's with stricter fields, so a frame that passes its own
  // schema passes the envelope's: the envelope is parsed apart only to name what is wrong.
  const frame = type !== undefined && types.has(type) ? schema.safeParse(parsed) : null
  if (frame?.success) {
    const rawPayload = parsed.payload
    if (!isPlainObject(rawPayload)) return fail('BAD_REQUEST', 'bad envelope at payload', type)
    return { ok: true, frame: frame.data, rawPayload } as const
  }
  const envelope = EnvelopeSchema.safeParse(parsed)
  if (!envelope.success) return fail('BAD_REQUEST', describe('envelope', envelope.error), type)
  // A frame of the other link kind is refused like an unknown one (PROTOCOL.md §1).
  if (!frame) return fail('UNKNOWN_TYPE', 'unknown type for this link', type)
  return fail('BAD_REQUEST', describe('frame', frame.error), type)
}

/**
 * Parses one WebSocket message received on a link of `kind`. Checks, in order: byte size, UTF-8,
 * nesting depth, JSON, plain object, envelope, type allowed on this link, the type's schema.
 * Never throws; `detail` is short and never echoes the input.
 * @example
 * const r = decode(msg, 'userToServer')
 * if (!r.ok) return r.type === 'ERROR' ? undefined : link.sendError(r.error.code, r.error.detail)
 */
export function decode(
  raw: RawFrame,
  kind: 'userToServer',
  opts?: DecodeOptions,
): DecodeResult<UserToServerFrame>
export function decode(
  raw: RawFrame,
  kind: 'serverToServer',
  opts?: DecodeOptions,
): DecodeResult<ServerToServerFrame>
export function decode(
  raw: RawFrame,
  kind: 'serverToClient',
  opts?: DecodeOptions,
): DecodeResult<ServerToClientFrame>
export function decode(raw: RawFrame, kind: LinkKind, opts?: DecodeOptions): DecodeResult<AnyFrame>
export function decode(raw: RawFrame, kind: LinkKind, opts: DecodeOptions = {}): DecodeResult<AnyFrame> {
  try {
    return decodeAny(raw, kind, opts)
  } catch {
    // Unreachable by design; a last guard so a peer can never crash the socket loop.
    return fail('BAD_REQUEST', 'undecodable frame')
  }
}

/** A frame to send, with whatever payload object, already signed or not (`sig` absent = `""`). */
export type OutgoingFrame = {
  type: string
  from: string
  to: string
  ts: number
  payload: object
  sig?: string | undefined
}

/**
 * Serialises exactly `{type, from, to, ts, payload, sig}`: no extra keys, no trailing newline
 * (PROTOCOL.md §1–§2). To relay a frame unchanged, pass `{...frame, payload: rawPayload}`.
 * Throws `TypeError` on a non-integer `ts`: that is a programmer error, not a peer's.
 */
export function encode(frame: OutgoingFrame): string {
  if (!Number.isSafeInteger(frame.ts) || frame.ts < 0) throw new TypeError('ts must be integer milliseconds')
  const { type, from, to, ts, payload } = frame
  return JSON.stringify({ type, from, to, ts, payload, sig: frame.sig ?? '' })
}
