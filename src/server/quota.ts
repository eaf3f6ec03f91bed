/**
 * @module Quota: caps on what other servers can make us remember — pinned servers, and directory
 * entries per home server. Anyone may join an open mesh, so without them one hostile server could
 * grow our memory and database without bound (an announce costs it one signature, reusable under
 * any id). The per-origin budgets of a hostile mesh belong here too.
 */

import type { Store } from '../store/index.ts'

export type Limits = { servers: number; usersPerServer: number }

export class Quota {
  readonly limits: Limits
  readonly #store: Store
  /** Counted lazily from the store on first use, then kept in step by the take* calls. */
  #servers: number | null = null
  readonly #users = new Map<string, number>()

  constructor(store: Store, limits: Limits) {
    this.#store = store
    this.limits = limits
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

  /** True when `serverId` may have one more user in our directory; counts it if so. */
  takeUserSlot(serverId: string): boolean {
    const n = this.#users.get(serverId) ?? this.#store.directory.byServer(serverId).length
    if (n >= this.limits.usersPerServer) {
      this.#users.set(serverId, n)
      return false
    }
    this.#users.set(serverId, n + 1)
    return true
  }
}
