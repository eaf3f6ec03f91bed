/**
 * @module FairQueue: the server's RSA signing, shared fairly between owners (a user, another
 * server, the server itself). Each owner waits in its own queue and the queues are served round
 * robin, so one user's flood of frames to sign (12,000 unsigned FILE_CHUNKs, say) gets one turn in
 * N instead of making every other user's DM wait behind it (PROTOCOL.md §4 "Budgets per origin").
 */

type Start = () => void

export class FairQueue {
  readonly concurrency: number
  readonly #queues = new Map<string, Start[]>()
  /** Owners with work waiting, in turn order. */
  readonly #turns: string[] = []
  #running = 0

  /** `concurrency` jobs run at once: WebCrypto signs off the JavaScript thread, on every core. */
  constructor(concurrency: number) {
    this.concurrency = concurrency
  }

  /** Jobs waiting, for every owner. */
  get waiting(): number {
    let n = 0
    for (const q of this.#queues.values()) n += q.length
    return n
  }

  /** Runs `job` in `owner`'s turn. */
  run<T>(owner: string, job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#running++
        job()
          .then(resolve, reject)
          .finally(() => {
            this.#running--
            this.#next()
          })
      }
      if (this.#running < this.concurrency && this.#turns.length === 0) return start()
      const q = this.#queues.get(owner)
      if (q) q.push(start)
      else {
        this.#queues.set(owner, [start])
        this.#turns.push(owner)
      }
    })
  }

  #next(): void {
    while (this.#running < this.concurrency) {
      const owner = this.#turns.shift()
      if (owner === undefined) return
      const q = this.#queues.get(owner)
      const start = q?.shift()
      if (q && q.length > 0) this.#turns.push(owner)
      else this.#queues.delete(owner)
      start?.()
    }
  }
}
