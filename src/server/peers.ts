/**
 * @module Peers: every link this server holds, the one live link per other server, their
 * addresses, and pending redials (PROTOCOL.md §4 "Links", "Health"). The only writer of those
 * tables; which link wins a race is a mesh rule (mesh/establish.ts) that calls in here.
 */

import { type Addr, Link, type Transport } from './link.ts'

type Redial = { attempt: number; timer: ReturnType<typeof setTimeout> | null }

export class Peers {
  readonly #links = new Set<Link>()
  /** server_id → the one live link to it. */
  readonly #live = new Map<string, Link>()
  /** server_id → (host, port), as announced. */
  readonly #addrs = new Map<string, Addr>()
  readonly #redials = new Map<string, Redial>()
  #nextLinkId = 1

  /** Every open link, of every role. */
  get links(): ReadonlySet<Link> {
    return this.#links
  }

  get addrs(): ReadonlyMap<string, Addr> {
    return this.#addrs
  }

  /** Number of live server links. */
  get size(): number {
    return this.#live.size
  }

  has(serverId: string): boolean {
    return this.#live.has(serverId)
  }

  get(serverId: string): Link | undefined {
    return this.#live.get(serverId)
  }

  keys(): IterableIterator<string> {
    return this.#live.keys()
  }

  entries(): IterableIterator<[string, Link]> {
    return this.#live.entries()
  }

  /** Creates and registers a link on a new socket. */
  open(
    direction: 'in' | 'out',
    remote: string,
    transport: Transport,
    rate: { perSec: number; burst: number },
  ) {
    const link = new Link(this.#nextLinkId++, direction, remote, transport, rate)
    this.#links.add(link)
    return link
  }

  /** The socket of `link` is gone. */
  forget(link: Link): void {
    this.#links.delete(link)
  }

  /** Makes `link` the live link to `serverId`; returns the link it replaced, if any. */
  setLive(serverId: string, link: Link, addr: Addr): Link | undefined {
    const old = this.#live.get(serverId)
    this.#live.set(serverId, link)
    this.#addrs.set(serverId, addr)
    return old === link ? undefined : old
  }

  /** Removes `link` as the live link of `serverId`; false when it was not the live one. */
  dropLive(serverId: string, link: Link): boolean {
    if (this.#live.get(serverId) !== link) return false
    this.#live.delete(serverId)
    return true
  }

  setAddr(serverId: string, addr: Addr): void {
    this.#addrs.set(serverId, addr)
  }

  forgetAddr(serverId: string): void {
    if (!this.#live.has(serverId)) this.#addrs.delete(serverId)
  }

  /** Sends the same text on every live server link except `except` (never echo a broadcast back). */
  broadcast(text: string, except?: Link | null, skipPeer?: string): void {
    for (const [id, link] of this.#live) if (link !== except && id !== skipPeer) link.send(text)
  }

  // --- redials ---

  /**
   * Calls `dial` after `delay(attempt)` unless one is already pending; the attempt count rises each
   * time until `redialDone`. A failed dial's close schedules the next attempt.
   */
  scheduleRedial(serverId: string, delay: (attempt: number) => number, dial: () => void): void {
    const state = this.#redials.get(serverId) ?? { attempt: 0, timer: null }
    if (state.timer) return
    state.timer = setTimeout(() => {
      state.timer = null
      state.attempt++
      if (this.#live.has(serverId)) this.#redials.delete(serverId)
      else dial()
    }, delay(state.attempt))
    this.#redials.set(serverId, state)
  }

  /** Clears the backoff once a link to `serverId` is up. */
  redialDone(serverId: string): void {
    const state = this.#redials.get(serverId)
    if (state?.timer) clearTimeout(state.timer)
    this.#redials.delete(serverId)
  }

  /** Shutdown: no more redials, every link closed. */
  closeAll(code: number, reason: string): void {
    for (const r of this.#redials.values()) if (r.timer) clearTimeout(r.timer)
    this.#redials.clear()
    for (const link of [...this.#links]) link.close(code, reason)
  }
}
