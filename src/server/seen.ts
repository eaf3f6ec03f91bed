/** @module The `seen` cache: loop and replay suppression, bounded in size and time (PROTOCOL.md §4). */

import { createHash } from 'node:crypto'
import { canonicalJson } from '../crypto/index.ts'

/**
 * A hash of the whole signed frame — type, from, to, ts, canonical(payload) and `sig` (PROTOCOL.md
 * §4): a replay of the same bytes is a duplicate, whatever unsigned field (`ts`) it changes.
 */
export function seenKey(
  f: { type: string; ts: number; from: string; to: string; sig?: string | undefined },
  rawPayload: unknown,
): string {
  let body: string
  try {
    body = canonicalJson(rawPayload)
  } catch {
    body = JSON.stringify(rawPayload)
  }
  return createHash('sha256')
    .update(`${f.type}|${f.from}|${f.to}|${f.ts}|${f.sig ?? ''}|`)
    .update(body)
    .digest('base64url')
}

/**
 * A TTL set. The TTL outlives the freshness windows (±5 minutes on user frames, ±10 on
 * SERVER_DELIVER), so a replay is refused either here (still remembered) or by the window (too
 * old). Size eviction can forget a frame that is still fresh, so the cache also keeps a horizon:
 * the newest `ts` of any time-bound frame it forgot. A time-bound frame not newer than that is
 * refused, because it may be a replay of something forgotten — never accepted. A forgotten `ts`
 * counts at most up to when that frame arrived: a sender that dates a frame in the future and then
 * floods the cache must not push the horizon past the present and lock everyone out.
 */
export class SeenCache {
  private readonly entries = new Map<string, { at: number; ts: number | null }>()
  private readonly ttlMs: number
  readonly maxEntries: number
  private horizon = Number.NEGATIVE_INFINITY

  constructor(ttlMs = 15 * 60_000, maxEntries = 200_000) {
    this.ttlMs = ttlMs
    this.maxEntries = maxEntries
  }

  /**
   * Records `key`; returns false when the frame must be dropped: it was already there (a
   * duplicate), or — for a time-bound frame, given with its `ts` — it is not newer than the horizon.
   */
  add(key: string, ts?: number, now = Date.now()): boolean {
    this.evict(now)
    if (ts !== undefined && ts <= this.horizon) return false
    if (this.entries.has(key)) return false
    this.entries.set(key, { at: now, ts: ts ?? null })
    this.evict(now)
    return true
  }

  /** True when `key` is remembered (a frame already handled); records nothing. */
  has(key: string, now = Date.now()): boolean {
    const e = this.entries.get(key)
    return e !== undefined && now - e.at < this.ttlMs
  }

  get size(): number {
    return this.entries.size
  }

  private evict(now: number): void {
    // Map iteration is insertion order, so the oldest entries come first.
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - e.at < this.ttlMs) break
      this.entries.delete(key)
      if (e.ts !== null) this.horizon = Math.max(this.horizon, Math.min(e.ts, e.at))
    }
  }
}
