/**
 * @module A token bucket per connection, so one peer cannot monopolise a server; and the login
 * failure delay, so guessing passwords is slow.
 */

import { randomBytes } from 'node:crypto'
import { BoundedMap } from '../bounded.ts'
import { b64uEncode, hashVerifier } from '../crypto/index.ts'

export class TokenBucket {
  private tokens: number
  private last: number
  private readonly ratePerSec: number
  private readonly burst: number

  constructor(ratePerSec: number, burst: number) {
    this.ratePerSec = ratePerSec
    this.burst = burst
    this.tokens = burst
    this.last = performance.now()
  }

  /** Milliseconds until `cost` tokens are there (0: now); takes nothing. */
  need(cost = 1): number {
    const now = performance.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec)
    this.last = now
    return this.tokens >= cost ? 0 : Math.ceil(((cost - this.tokens) / this.ratePerSec) * 1000)
  }

  /** Takes one token; false when the peer is over its rate. */
  take(cost = 1): boolean {
    const now = performance.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec)
    this.last = now
    if (this.tokens < cost) return false
    this.tokens -= cost
    return true
  }
}

/** Exponential delay for repeated login failures per name, forgotten after a quiet period. */
export class FailureDelay {
  private readonly fails = new BoundedMap<string, { count: number; at: number }>(50_000)
  private readonly baseMs = 250
  private readonly maxMs = 8_000
  private readonly forgetMs = 15 * 60_000
  #dummy: Promise<string> | null = null

  /** A verifier for a random key: unknown logins are checked against it so both paths cost the same. */
  dummy(): Promise<string> {
    this.#dummy ??= hashVerifier(b64uEncode(randomBytes(32)))
    return this.#dummy
  }

  /** How long to wait before answering an attempt for `key`. */
  delayFor(key: string, now = Date.now()): number {
    const f = this.fails.get(key)
    if (!f || now - f.at > this.forgetMs) return 0
    return Math.min(this.maxMs, this.baseMs * 2 ** (f.count - 1))
  }

  fail(key: string, now = Date.now()): void {
    const f = this.fails.get(key)
    this.fails.touch(key, { count: (f && now - f.at <= this.forgetMs ? f.count : 0) + 1, at: now })
  }

  succeed(key: string): void {
    this.fails.delete(key)
  }
}
