/**
 * @module Spread: one text written to many client links, a slice per event-loop turn, in order.
 * A presence batch goes to every client that follows everyone (docs/scale.md: `A_s` writes per
 * batch, ≈ 5–9 µs each); done in one go, a server with thousands of such clients held its event
 * loop for the whole fan-out, and every other link's frames (a DM, the mesh's next batch) waited.
 * Now those frames are taken between slices, and the routing tables, already changed, serve them.
 */

import type { Sendable } from './outbox.ts'

/** Links written per event-loop turn. */
export const SPREAD_SLICE = 256
/**
 * Writes that may wait. Past it everything waiting is written at once, as before the slices: a
 * peer sending presence faster than we can pass it on then slows its own link's reading again
 * (we are busy writing), instead of growing this queue without bound.
 */
export const SPREAD_MAX_WAITING = 200_000

type Job = { readonly links: readonly Sendable[]; readonly text: string; next: number }

export class Spread {
  readonly #jobs: Job[] = []
  readonly #slice: number
  readonly #maxWaiting: number
  /** Writes queued and not yet made. */
  #writes = 0
  #scheduled = false

  constructor(slice = SPREAD_SLICE, maxWaiting = SPREAD_MAX_WAITING) {
    this.#slice = slice
    this.#maxWaiting = maxWaiting
  }

  /** Writes `text` to each of `links` (as they are now), after every text queued before it. */
  send(links: Iterable<Sendable>, text: string): void {
    const job = { links: [...links], text, next: 0 }
    if (job.links.length === 0) return
    this.#jobs.push(job)
    this.#writes += job.links.length
    if (this.#writes > this.#maxWaiting) this.#write(Number.POSITIVE_INFINITY)
    else this.#schedule()
  }

  /** Writes still waiting. */
  get writes(): number {
    return this.#writes
  }

  /** Texts not yet written to all their links. */
  get waiting(): number {
    return this.#jobs.length
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => this.#drain())
  }

  #drain(): void {
    this.#scheduled = false
    this.#write(this.#slice)
    if (this.#jobs.length > 0) this.#schedule()
  }

  /** Makes up to `budget` writes, oldest text first. */
  #write(budget: number): void {
    while (budget > 0 && this.#jobs.length > 0) {
      const job = this.#jobs[0]!
      const end = Math.min(job.links.length, job.next + budget)
      budget -= end - job.next
      this.#writes -= end - job.next
      for (; job.next < end; job.next++) job.links[job.next]!.send(job.text)
      if (job.next === job.links.length) this.#jobs.shift()
    }
  }
}
