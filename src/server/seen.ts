/** @module The `seen` cache: loop and replay suppression, bounded in size and time (PROTOCOL.md §4). */

import { createHash } from 'node:crypto'
import { canonicalJson } from '../crypto/index.ts'

/** `ts|from|to|sha256(canonical(payload))`, the key PROTOCOL.md §4 prescribes. */
export function seenKey(f: { ts: number; from: string; to: string }, rawPayload: unknown): string {
  let body: string
  try {
    body = canonicalJson(rawPayload)
  } catch {
    body = JSON.stringify(rawPayload)
  }
  return `${f.ts}|${f.from}|${f.to}|${createHash('sha256').update(body).digest('base64url')}`
}

/**
 * A TTL set. The TTL outlives the ±5-minute freshness window on user frames, so a replay is
 * refused either here (still remembered) or by the window (too old) — never accepted.
 */
export class SeenCache {
  private readonly entries = new Map<string, number>()
  private readonly ttlMs: number
  private readonly maxEntries: number

  constructor(ttlMs = 15 * 60_000, maxEntries = 200_000) {
    this.ttlMs = ttlMs
    this.maxEntries = maxEntries
  }

  /** Records `key`; returns false when it was already there (a duplicate). */
  add(key: string, now = Date.now()): boolean {
    const at = this.entries.get(key)
    if (at !== undefined && now - at < this.ttlMs) return false
    this.entries.delete(key)
    this.entries.set(key, now)
    this.evict(now)
    return true
  }

  get size(): number {
    return this.entries.size
  }

  private evict(now: number): void {
    // Map iteration is insertion order, so the oldest entries come first.
    for (const [key, at] of this.entries) {
      if (this.entries.size <= this.maxEntries && now - at < this.ttlMs) break
      this.entries.delete(key)
    }
  }
}
