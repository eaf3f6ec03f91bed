/** @module Work still running (frame handlers, link cleanup), so shutdown can let it finish. */

export class Work {
  readonly #inflight = new Set<Promise<unknown>>()
  #stopping = false

  /** True from the moment `stop()` begins: no new dials, redials or cleanup against the store. */
  get stopping(): boolean {
    return this.#stopping
  }

  /** Remembers `p` until it settles, so shutdown can wait for it. */
  track(p: Promise<unknown>): void {
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p))
  }

  /** Marks the server as stopping. */
  stop(): void {
    this.#stopping = true
  }

  /** Waits for the tracked work, at most `ms` (so a stuck handler cannot hang shutdown). */
  async settle(ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#inflight]), Bun.sleep(ms)])
  }
}
