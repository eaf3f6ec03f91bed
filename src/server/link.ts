/**
 * @module Link: one WebSocket connection, inbound or outbound, behind a tiny transport interface.
 * Its role — pending, user or server — is a discriminated union, each role with its own state.
 */

import { TokenBucket } from './ratelimit.ts'
import { Acks } from './users/acks.ts'
import { Login } from './users/login.ts'

/**
 * A server's address; `tls` dials it at wss:// (docs/wire.md §9). `fingerprint` (an introducer's,
 * from `--peer …#sha256:`) pins the key that must answer there: SHA-256 of its SPKI, 64 hex digits.
 */
export type Addr = { host: string; port: number; tls?: boolean | undefined; fingerprint?: string | undefined }

export type Transport = {
  send(text: string): void
  close(code: number, reason: string): void
  /** Bytes queued but not yet written, for backpressure. */
  buffered(): number
  /** Stop and restart reading from the socket, so the peer feels TCP backpressure. */
  pause?(): void
  resume?(): void
}

/** No first frame yet (PROTOCOL.md §1: the first frame decides what a link carries, for life). */
export type PendingRole = { readonly kind: 'pending' }
/** A client's link: its login state machine (src/server/users/login.ts) and its pending acks. */
export type UserRole = {
  readonly kind: 'user'
  readonly login: Login
  readonly acks: Acks
  /** The last kept frame handed over on this link (docs/wire.md §13): what its client may confirm. */
  readonly kept: { sent: number }
}
/**
 * Link authentication (PROTOCOL.md §4, mesh/handshake.ts). Until `done` the link is pending in all
 * but name: user budgets, the hello timeout, and nothing it says is pinned, stored, relayed or dialed.
 */
export type LinkAuth =
  | { readonly stage: 'new' }
  /** Acceptor: challenge sent; `hello` runs the held hello once the dialer's proof verifies. */
  | {
      readonly stage: 'challenged'
      readonly nonce: string
      /** The hello's `from`, which the proof names; `id`, whose link it becomes (a joiner's assigned id). */
      readonly prover: string
      readonly id: string
      readonly hello: Held
    }
  /** Dialer: proof sent with our own nonce; waits for the acceptor's proof under `key`. */
  | { readonly stage: 'proving'; readonly nonce: string; readonly peer: string; readonly key: string }
  /**
   * Authenticated as `peer` (`legacy`: another implementation, allowed by the operator) with
   * `key`, the key it proved (or, legacy, the one its hello carried).
   */
  | { readonly stage: 'done'; readonly peer: string; readonly legacy: boolean; readonly key: string }
/** A verified hello held until its sender proves its key: its key, and how to carry it out. */
export type Held = { readonly key: string; readonly run: () => Promise<void> }

/** Another server's link. */
export type ServerRole = {
  readonly kind: 'server'
  auth: LinkAuth
  /** The peer's server id once the link is established (mesh/establish.ts). */
  peerId: string | null
  establishedAt: number
  /**
   * For outbound links: the address dialed, and the server expected there (if known); `probe`: we
   * only check that the server answers there with its key, then hang up (mesh/confirm.ts).
   */
  readonly target: (Addr & { expect: string | null; probe?: true }) | null
  /** Set while this outbound link waits for SERVER_WELCOME. */
  onWelcome: ((ok: boolean) => void) | null
  /** What the peer's hello or WELCOME said it speaks beyond the spec (docs/wire.md §14). */
  caps: readonly string[]
}
export type Role = PendingRole | UserRole | ServerRole
export type LinkKind = Role['kind']

/**
 * A user link with this many frames queued is no longer read until it is down to `READ_LOW`: the
 * client then feels TCP backpressure (its `drain()` waits) instead of the queue reaching the
 * backlog cap and the link being closed, as a file of a few MiB otherwise did.
 */
const READ_HIGH = 256
const READ_LOW = 64

/** Frames a link may have waiting in its lanes before its own queue waits for them again. */
const LANE_CAP = 2_000

/** Per-connection frame budgets: users are throttled hard, servers carry everyone's traffic. */
export const USER_RATE = { perSec: 400, burst: 800 }
export const SERVER_RATE = { perSec: 5_000, burst: 20_000 }

/** Per-connection state, typed once; handlers see a Link, never a raw socket. */
export class Link {
  /** A number for log lines, unique within its server (given by Peers). */
  readonly id: number
  #role: Role = { kind: 'pending' }
  lastSeen = Date.now()
  /** When the last RATE_LIMITED was sent, so a flood gets one per second at most. */
  rateNotified = 0
  onClosed: (() => void) | null = null
  closed = false
  /** Frames are handled one at a time per link, in arrival order. */
  private tail: Promise<void> = Promise.resolve()
  private pending = 0
  private readPaused = false
  /** Side queues by key (see `lane`), and how many frames wait in them altogether. */
  private readonly lanes = new Map<string, { tail: Promise<void>; pending: number }>()
  private lanePending = 0
  bucket: TokenBucket
  timers: ReturnType<typeof setTimeout>[] = []

  readonly direction: 'in' | 'out'
  readonly remote: string
  private readonly transport: Transport

  constructor(
    id: number,
    direction: 'in' | 'out',
    remote: string,
    transport: Transport,
    rate: { perSec: number; burst: number },
  ) {
    this.id = id
    this.direction = direction
    this.remote = remote
    this.transport = transport
    this.bucket = new TokenBucket(rate.perSec, rate.burst)
  }

  get role(): Readonly<Role> {
    return this.#role
  }

  get kind(): LinkKind {
    return this.#role.kind
  }

  /** The user role, or null on a pending or server link. */
  get user(): UserRole | null {
    return this.#role.kind === 'user' ? this.#role : null
  }

  /** The server role, or null on a pending or user link. */
  get server(): ServerRole | null {
    return this.#role.kind === 'server' ? this.#role : null
  }

  /** The established peer's server id, or null. */
  get peerId(): string | null {
    return this.#role.kind === 'server' ? this.#role.peerId : null
  }

  /** A pending link becomes a user link for life; returns its role (a server link stays one). */
  becomeUser(): UserRole | null {
    if (this.#role.kind === 'pending')
      this.#role = { kind: 'user', login: new Login(), acks: new Acks(), kept: { sent: 0 } }
    return this.user
  }

  /** A pending link becomes a server link for life; it keeps user budgets until `authenticate`. */
  becomeServer(target: ServerRole['target'] = null): ServerRole {
    if (this.#role.kind === 'server') return this.#role
    if (this.#role.kind === 'user') throw new TypeError('a user link cannot become a server link')
    this.#role = {
      kind: 'server',
      auth: { stage: 'new' },
      peerId: null,
      establishedAt: 0,
      target,
      onWelcome: null,
      caps: [],
    }
    return this.#role
  }

  /** True once this server link proved who is at the other end (or was allowed as legacy). */
  get authed(): boolean {
    return this.#role.kind === 'server' && this.#role.auth.stage === 'done'
  }

  /** The link proved it is `peer`: from now on it has the server frame budget. */
  /** True on a link allowed without proof (another implementation, `--allow-legacy-peers`). */
  get authLegacy(): boolean {
    return this.#role.kind === 'server' && this.#role.auth.stage === 'done' && this.#role.auth.legacy
  }

  authenticate(peer: string, legacy: boolean, key: string): void {
    if (this.#role.kind !== 'server') throw new TypeError('only a server link authenticates')
    this.#role.auth = { stage: 'done', peer, legacy, key }
    this.bucket = new TokenBucket(SERVER_RATE.perSec, SERVER_RATE.burst)
  }

  send(text: string): void {
    if (!this.closed) this.transport.send(text)
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.transport.close(code, reason)
  }

  buffered(): number {
    return this.transport.buffered()
  }

  /** Frames waiting to be handled on this link, in its queue or in its lanes. */
  get backlog(): number {
    return this.pending + this.lanePending
  }

  /** More than `LANE_CAP` frames wait in this link's lanes. */
  get lanesFull(): boolean {
    return this.lanePending > LANE_CAP
  }

  /** Runs `work` after every earlier frame of this link; errors are the caller's to catch. */
  enqueue(work: () => Promise<void>): Promise<void> {
    this.pending++
    if (this.kind !== 'server' && !this.readPaused && this.pending > READ_HIGH) {
      this.readPaused = true
      this.transport.pause?.()
    }
    this.tail = this.tail.then(work).finally(() => {
      this.pending--
      if (this.readPaused && this.pending <= READ_LOW) {
        this.readPaused = false
        this.transport.resume?.()
      }
    })
    return this.tail
  }

  /**
   * Runs `work` after the earlier work of the same `key`, beside the link's own queue: one key's
   * frames stay in order, different keys do not wait for each other. Returns when `work` is done;
   * errors are the caller's to catch.
   */
  lane(key: string, work: () => Promise<void>): Promise<void> {
    const lane = this.lanes.get(key) ?? { tail: Promise.resolve(), pending: 0 }
    this.lanes.set(key, lane)
    lane.pending++
    this.lanePending++
    const done = lane.tail.then(work).finally(() => {
      this.lanePending--
      if (--lane.pending === 0) this.lanes.delete(key)
    })
    lane.tail = done
    return done
  }

  describe(): string {
    return this.kind === 'server'
      ? `server ${this.peerId ?? '?'} (${this.remote})`
      : `${this.kind} link #${this.id} (${this.remote})`
  }
}
