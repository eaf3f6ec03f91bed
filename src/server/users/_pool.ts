/**
 * @module A bounded pool for password checks (argon2id) with a fair queue: at most `size` checks run
 * at once, and waiting checks are served round-robin by source address, so one flooding address
 * cannot starve the others and the CPU left over stays free for message traffic.
 */

import { ChatError } from '../../errors.ts'

type Job = { run: () => void }

/** The pool's counters, for tests and the status line. */
export type PoolStats = { running: number; queued: number; completed: number; refused: number }

export class VerifierPool {
  readonly size: number
  readonly maxQueued: number
  readonly maxQueuedPerSource: number
  /** source → its waiting jobs; a Map iterates in insertion order, which is the round-robin order. */
  private readonly queues = new Map<string, Job[]>()
  private queued = 0
  private running = 0
  private completed = 0
  private refused = 0

  constructor(o: { size: number; maxQueued: number; maxQueuedPerSource: number }) {
    this.size = Math.max(1, o.size)
    this.maxQueued = o.maxQueued
    this.maxQueuedPerSource = o.maxQueuedPerSource
  }

  /**
   * Runs `work` when a slot is free and it is `source`'s turn.
   * @throws ChatError('RATE_LIMITED') when the queue, or this source's share of it, is full: the
   *   refusal costs no argon2 work.
   */
  run<T>(source: string, work: () => Promise<T>): Promise<T> {
    const mine = this.queues.get(source)
    if (this.queued >= this.maxQueued || (mine?.length ?? 0) >= this.maxQueuedPerSource) {
      this.refused++
      return Promise.reject(new ChatError('RATE_LIMITED', 'the server is busy checking logins; try again'))
    }
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        run: () => {
          this.running++
          work()
            .then(resolve, reject)
            .finally(() => {
              this.running--
              this.completed++
              this.next()
            })
        },
      }
      const q = mine ?? []
      q.push(job)
      this.queues.set(source, q)
      this.queued++
      this.next()
    })
  }

  stats(): PoolStats {
    return { running: this.running, queued: this.queued, completed: this.completed, refused: this.refused }
  }

  private next(): void {
    while (this.running < this.size && this.queued > 0) {
      const [source, q] = this.queues.entries().next().value as [string, Job[]]
      const job = q.shift()!
      this.queued--
      // The source goes to the back of the round: delete and re-insert moves it last.
      this.queues.delete(source)
      if (q.length > 0) this.queues.set(source, q)
      job.run()
    }
  }
}
