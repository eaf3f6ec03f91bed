/** @module Tracking DMs end to end: every text is unique, its arrival time is recorded once. */

import type { User } from './world.ts'

/** Records when each DM text arrived at any of the watched users, and resolves waiters. */
export class Arrivals {
  readonly at = new Map<string, number>()
  readonly #waiters = new Map<string, (t: number) => void>()
  /** Texts that arrived twice (should never happen: the client drops replays). */
  duplicates = 0
  onArrive: ((text: string, t: number) => void) | null = null

  constructor(receivers: readonly User[], event: 'dm' | 'public' = 'dm') {
    for (const u of receivers) {
      u.session.on(event, (m) => {
        const t = performance.now()
        const key = event === 'public' ? `${u.name}|${m.text}` : m.text
        if (this.at.has(key)) {
          this.duplicates++
          return
        }
        this.at.set(key, t)
        this.onArrive?.(key, t)
        const w = this.#waiters.get(key)
        if (w) {
          this.#waiters.delete(key)
          w(t)
        }
      })
    }
  }

  /** Resolves with the arrival time of `key` (now, if it already came); rejects after `ms`. */
  wait(key: string, ms: number): Promise<number> {
    const t = this.at.get(key)
    if (t !== undefined) return Promise.resolve(t)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key)
        reject(new Error(`"${key}" did not arrive within ${ms} ms`))
      }, ms)
      this.#waiters.set(key, (at) => {
        clearTimeout(timer)
        resolve(at)
      })
    })
  }
}

/**
 * Sends `count` DMs from `from` to `to` one at a time, pausing `gapMs` between them, and returns
 * each one's latency (tell() called → `dm` event at the recipient). `stop` ends it early.
 */
export async function serialDms(
  from: User,
  to: User,
  arrivals: Arrivals,
  opts: { count: number; tag: string; gapMs?: number; stop?: () => boolean; timeoutMs?: number },
): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < opts.count && !opts.stop?.(); i++) {
    const text = `${opts.tag} ${i}`
    const t0 = performance.now()
    const arrived = arrivals.wait(text, opts.timeoutMs ?? 15_000)
    arrived.catch(() => {})
    await from.session.tell(to.userId, text)
    out.push((await arrived) - t0)
    if (opts.gapMs) await Bun.sleep(opts.gapMs)
  }
  return out
}
