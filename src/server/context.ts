/** @module The server's shared state tables (spec §5.2) and the one way to build signed frames. */

import { createHash } from 'node:crypto'
import { canonicalJson, signPayload } from '../crypto/index.ts'
import type { ErrorCode } from '../errors.ts'
import type { Logger } from '../log.ts'
import type { Store } from '../store/index.ts'
import type { Identity } from './identity.ts'
import type { Link } from './link.ts'
import { SeenCache } from './seen.ts'
import type { LoginGuard } from './users/guard.ts'

export type Timing = { heartbeatMs: number; linkTimeoutMs: number; statusMs: number; helloTimeoutMs: number }

export type ServerContext = {
  readonly me: Identity
  readonly store: Store
  readonly log: Logger
  readonly timing: Timing
  /** Caps on what other servers can make us remember (src/server/quota.ts). */
  readonly limits: { servers: number; usersPerServer: number }
  /** The --peer introducers; a lost link to one is redialed with a join, which every server accepts. */
  readonly introducers: { host: string; port: number }[]
  /** Where this server says it listens, as other servers should dial it. */
  readonly advertised: { host: string; port: number }
  readonly links: Set<Link>
  /** server_id → the one live link to it. */
  readonly peers: Map<string, Link>
  /** server_id → (host, port), as announced. */
  readonly addrs: Map<string, { host: string; port: number }>
  /** user_id → the link of a user logged in here. */
  readonly localUsers: Map<string, Link>
  /** user_id → the server a remote user is online at. */
  readonly locations: Map<string, string>
  readonly seen: SeenCache
  /** Login throttles and the argon2 pool (src/server/users/guard.ts). */
  readonly guard: LoginGuard
  /** Signed DIRECTORY_ENTRY texts of our own users, kept so a resync re-sends instead of re-signing. */
  readonly ownFrames: { directory: Map<string, string> }
  /** Pending redials by server id, and whether the server is shutting down. */
  readonly redials: Map<string, { attempt: number; timer: ReturnType<typeof setTimeout> | null }>
  /** Work still running (frame handlers, link cleanup); `stop()` lets it finish before closing the store. */
  readonly inflight: Set<Promise<unknown>>
  stopping: boolean
  /** Called whenever servers or users come or go, so the status line can be logged. */
  changed(): void
}

type Derived =
  | 'links'
  | 'peers'
  | 'addrs'
  | 'localUsers'
  | 'locations'
  | 'seen'
  | 'ownFrames'
  | 'redials'
  | 'stopping'
  | 'inflight'

export function createContext(init: Omit<ServerContext, Derived>): ServerContext {
  return {
    ...init,
    links: new Set(),
    peers: new Map(),
    addrs: new Map(),
    localUsers: new Map(),
    locations: new Map(),
    seen: new SeenCache(),
    ownFrames: { directory: new Map() },
    redials: new Map(),
    inflight: new Set(),
    stopping: false,
  }
}

/** The exact envelope we send: no extras, `ts` integer ms (PROTOCOL.md §2). */
export function envelope(
  type: string,
  from: string,
  to: string,
  ts: number,
  payload: unknown,
  sig: string,
): string {
  return JSON.stringify({ type, from, to, ts, payload, sig })
}

/**
 * A server-originated frame, signed over canonical(payload). "Server-originated frames are always
 * signed, to servers and to users alike" (PROTOCOL.md §3.1).
 */
export async function signed(
  ctx: ServerContext,
  type: string,
  to: string,
  payload: Record<string, unknown>,
  opts: { ts?: number; from?: string } = {},
): Promise<string> {
  const sig = await payloadSig(ctx, payload)
  return envelope(type, opts.from ?? ctx.me.serverId, to, opts.ts ?? Date.now(), payload, sig)
}

/** Recent signatures by sha256(canonical(payload)); a Map iterates oldest first. */
const sigMemo = new WeakMap<ServerContext, Map<string, Promise<string>>>()
const SIG_MEMO_SIZE = 512

/**
 * `sig` covers only the payload (PROTOCOL.md §3.1), so a payload signed once — an ERROR, a
 * USER_LIST, a presence frame — needs no second RSA signature (≈ 3 ms each). Without this, every
 * junk frame a peer sends would cost us one.
 */
function payloadSig(ctx: ServerContext, payload: Record<string, unknown>): Promise<string> {
  const memo = sigMemo.get(ctx) ?? new Map<string, Promise<string>>()
  sigMemo.set(ctx, memo)
  const key = createHash('sha256').update(canonicalJson(payload)).digest('base64url')
  const hit = memo.get(key)
  if (hit) return hit
  const sig = signPayload(ctx.me.key, payload)
  memo.set(key, sig)
  sig.catch(() => memo.delete(key))
  if (memo.size > SIG_MEMO_SIZE) memo.delete(memo.keys().next().value as string)
  return sig
}

/**
 * Sends `ERROR {code, detail}` to a user or server. Callers never call this in reply to an ERROR or
 * a HEARTBEAT (PROTOCOL.md §4): the routers enforce that.
 */
export async function sendError(
  ctx: ServerContext,
  link: Link,
  code: ErrorCode,
  detail: string,
  to = '',
): Promise<void> {
  link.send(await signed(ctx, 'ERROR', to, { code, detail }))
}

/** Remembers `p` until it settles, so shutdown can wait for it. */
export function track(ctx: ServerContext, p: Promise<unknown>): void {
  ctx.inflight.add(p)
  void p.finally(() => ctx.inflight.delete(p))
}

/** Sends the same text on every live server link except `except` (never echo a broadcast back). */
export function broadcastToServers(
  ctx: ServerContext,
  text: string,
  except?: Link | null,
  skipPeer?: string,
): void {
  for (const [id, link] of ctx.peers) if (link !== except && id !== skipPeer) link.send(text)
}

/** Sends the same text to every local user. */
export function broadcastToUsers(ctx: ServerContext, text: string): void {
  for (const link of ctx.localUsers.values()) link.send(text)
}
