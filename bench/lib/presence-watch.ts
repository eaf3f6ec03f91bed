/**
 * @module Watches presence spread through a mesh of in-process servers (mesh-scale): when each
 * user comes online at home and when each other server takes them, timed where the tables change.
 */

import type { Session } from '../../src/client/session.ts'
import type { ServerHandle } from '../../src/server/index.ts'

export const online = (s: ServerHandle) => s.ctx.presence.local.size + s.ctx.presence.locations.size

/**
 * When each user comes online at its home server and when the last other server takes them, timed
 * exactly where each server's Presence table changes (its `attach` and `arrive` are wrapped: a
 * poll would only see the tables between event-loop turns, after the 400 in-process clients have
 * handled the same batch); and, polled every 2 ms, when every server first counts `total` users.
 */
export class PresenceWatch {
  readonly attachedAt = new Map<string, number>()
  readonly everywhereAt = new Map<string, number>()
  allAt = 0
  /** Users expected online everywhere; `allAt` is when every server first counts them. */
  total: number
  /** user id → servers other than its home that took it so far. */
  readonly #arrived = new Map<string, Set<ServerHandle>>()
  /** (user, home → one other server's table), for every server that took the user. */
  readonly #hops: [string, number][] = []
  #stop = false
  readonly done: Promise<void>
  /** user id → clients that showed them online so far; when all had, for `clientLags`. */
  readonly #shown = new Map<string, number>()
  readonly #shownAll = new Map<string, number>()

  constructor(servers: readonly ServerHandle[], total: number, tick: () => void) {
    this.total = total
    for (const s of servers) {
      const p = s.ctx.presence
      const attach = p.attach.bind(p)
      const arrive = p.arrive.bind(p)
      p.attach = (userId, link) => {
        attach(userId, link)
        if (!this.attachedAt.has(userId)) this.attachedAt.set(userId, performance.now())
      }
      p.arrive = (userId, serverId, ts) => {
        const taken = arrive(userId, serverId, ts)
        if (taken) this.#arrival(userId, s, servers.length - 1)
        return taken
      }
    }
    this.done = (async () => {
      while (!this.#stop) {
        if (!this.allAt && servers.every((s) => online(s) === this.total)) this.allAt = performance.now()
        tick()
        await Bun.sleep(2)
      }
    })()
  }

  #arrival(userId: string, at: ServerHandle, others: number): void {
    const home = this.attachedAt.get(userId)
    if (home !== undefined && !this.#arrived.get(userId)?.has(at))
      this.#hops.push([userId, performance.now() - home])
    const where = this.#arrived.get(userId) ?? new Set<ServerHandle>()
    this.#arrived.set(userId, where.add(at))
    if (where.size === others && !this.everywhereAt.has(userId))
      this.everywhereAt.set(userId, performance.now())
  }

  /**
   * Counts, for each user, the `sessions` that show them online (their `presence` event: the
   * frame taken and the key pinned), to time home server → every one of those clients.
   */
  watchClients(sessions: readonly Session[]): void {
    for (const session of sessions)
      session.on('presence', (p) => {
        if (!p.online) return
        const n = (this.#shown.get(p.userId) ?? 0) + 1
        this.#shown.set(p.userId, n)
        if (n === sessions.length) this.#shownAll.set(p.userId, performance.now())
      })
  }

  /** Home server → every watched client, per user (of `only`, if given). */
  clientLags(only?: ReadonlySet<string>): number[] {
    return [...this.#shownAll]
      .filter(([id]) => !only || only.has(id))
      .map(([id, t]) => t - this.attachedAt.get(id)!)
  }

  stop(): Promise<void> {
    this.#stop = true
    return this.done
  }

  /** Home server → each other server, per user and server (of `only`'s users, if given). */
  hops(only?: ReadonlySet<string>): number[] {
    return this.#hops.filter(([id]) => !only || only.has(id)).map(([, ms]) => ms)
  }

  /** Home server → every server, per user (of `only`, if given). */
  lags(only?: ReadonlySet<string>): number[] {
    return [...this.everywhereAt]
      .filter(([id]) => !only || only.has(id))
      .map(([id, t]) => t - this.attachedAt.get(id)!)
  }
}
