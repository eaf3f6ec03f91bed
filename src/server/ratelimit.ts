/**
 * @module A token bucket per connection, so one peer cannot monopolise a server (login guessing
 * has its own owner: src/server/users/guard.ts).
 */

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
