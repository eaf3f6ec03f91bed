/**
 * @module Quota: what other servers can make us remember and how fast they may tell us — pinned
 * servers, directory entries per home server, and each origin's gossip budget (frames and bytes per
 * second). Anyone may join an open mesh, so every budget is per origin: a flood from one server
 * neither evicts, delays nor hides another server's users (PROTOCOL.md §4 "Budgets per origin").
 * The numbers are documented in docs/security.md.
 */

import { BoundedMap } from '../bounded.ts'
import type { Store } from '../store/index.ts'
import { TokenBucket } from './ratelimit.ts'

export type Limits = { servers: number; usersPerServer: number }

/**
 * Gossip per origin. An honest server sends a directory entry and an advert per user when a link
 * forms and a few frames a second after that. Over budget, the origin's own link queue waits —
 * which delays only that origin — so a resync of 10,000 users takes about 20 s and loses nothing,
 * while a flood costs us at most ~1,000 verified frames a second per origin. A frame that would
 * wait longer than `maxWaitMs` is dropped; a flood that outruns its budget fills its own link's
 * backlog, and that link is closed.
 */
export const GOSSIP_BUDGET = {
  framesPerSec: 1_000,
  framesBurst: 2_000,
  bytesPerSec: 4 * 1024 * 1024,
  bytesBurst: 8 * 1024 * 1024,
  maxWaitMs: 5_000,
} as const

/** What counts as gossip: everything a server says about its users, itself and the channel. */
const GOSSIP: ReadonlySet<string> = new Set([
  'USER_ADVERTISE',
  'USER_REMOVE',
  'PRESENCE_BATCH',
  'DIRECTORY_ENTRY',
  'SERVER_ANNOUNCE',
  'PUBLIC_CHANNEL_ADD',
  'PUBLIC_CHANNEL_UPDATED',
  'PUBLIC_CHANNEL_KEY_SHARE',
])

type Budget = { frames: TokenBucket; bytes: TokenBucket }

export class Quota {
  readonly limits: Limits
  readonly #store: Store
  /** Counted lazily from the store on first use, then kept in step by the take* calls. */
  #servers: number | null = null
  readonly #users = new Map<string, number>()
  readonly #gossip: BoundedMap<string, Budget>

  constructor(store: Store, limits: Limits) {
    this.#store = store
    this.limits = limits
    this.#gossip = new BoundedMap(Math.max(16, limits.servers))
  }

  /** True when a server id not pinned yet may be pinned; counts it if so. */
  takeServerSlot(): boolean {
    const n = this.#servers ?? this.#store.servers.all().length
    if (n >= this.limits.servers) {
      this.#servers = n
      return false
    }
    this.#servers = n + 1
    return true
  }

  /** A pinned server was forgotten with its users (mesh/establish.ts): its slots are free again. */
  releaseServer(serverId: string): void {
    if (this.#servers !== null && this.#servers > 0) this.#servers--
    this.#users.delete(serverId)
  }

  /**
   * True when `serverId` may have one more user in our directory; counts it if so. Only a user's
   * home server can sign its entry, so the cap is that server's alone: reaching it refuses its own
   * new users and nobody else's. 100,000 by default — no honest server we know of is near it.
   */
  takeUserSlot(serverId: string): boolean {
    const n =
      this.#users.get(serverId) ??
      this.#store.directory.byServer(serverId).length + this.#store.keyless.countByServer(serverId)
    if (n >= this.limits.usersPerServer) {
      this.#users.set(serverId, n)
      return false
    }
    this.#users.set(serverId, n + 1)
    return true
  }

  /**
   * Waits until `origin` may send one more gossip frame of `bytes`; false (drop it) when that
   * would take longer than `maxWaitMs`. Frames that are not gossip pass at once.
   */
  async gossip(origin: string, type: string, bytes: number): Promise<boolean> {
    if (!GOSSIP.has(type)) return true
    let b = this.#gossip.get(origin)
    if (!b) {
      const g = GOSSIP_BUDGET
      b = {
        frames: new TokenBucket(g.framesPerSec, g.framesBurst),
        bytes: new TokenBucket(g.bytesPerSec, g.bytesBurst),
      }
      this.#gossip.set(origin, b)
    }
    const cost = Math.min(bytes, GOSSIP_BUDGET.bytesBurst)
    let waited = 0
    for (;;) {
      const wait = Math.max(b.frames.need(1), b.bytes.need(cost))
      if (wait === 0) return b.frames.take(1) && b.bytes.take(cost)
      if (waited + wait > GOSSIP_BUDGET.maxWaitMs) return false
      waited += wait
      await Bun.sleep(wait)
    }
  }
}
