/**
 * @module A failed-login budget per source address: a token bucket per address, bounded in size.
 * A token is reserved before a password check starts (so parallel attempts cannot all pass before
 * the first failure is counted) and given back when the login succeeds.
 */

type Bucket = { tokens: number; at: number }

export class AddressBudget {
  private readonly buckets = new Map<string, Bucket>()
  readonly burst: number
  readonly perSec: number
  private readonly maxAddresses: number

  constructor(o: { burst: number; perSec: number; maxAddresses?: number }) {
    this.burst = o.burst
    this.perSec = o.perSec
    this.maxAddresses = o.maxAddresses ?? 50_000
  }

  /** Reserves one attempt for `address`; returns 0, or the seconds until one is available. */
  take(address: string, now = performance.now()): number {
    const b = this.refill(address, now)
    if (b.tokens < 1) return Math.ceil((1 - b.tokens) / this.perSec)
    b.tokens -= 1
    return 0
  }

  /** Gives back a reserved attempt (the login succeeded, or it never reached a check). */
  refund(address: string): void {
    const b = this.buckets.get(address)
    if (b) b.tokens = Math.min(this.burst, b.tokens + 1)
  }

  private refill(address: string, now: number): Bucket {
    const old = this.buckets.get(address)
    const b = old ?? { tokens: this.burst, at: now }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSec)
    b.at = now
    // Re-inserted so the Map's first key is the least recently used; full buckets are forgettable.
    this.buckets.delete(address)
    this.buckets.set(address, b)
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value as string)
    return b
  }
}
