/**
 * @module A Map that forgets its oldest entries past a size cap: the one bounded table, so every
 * cache a peer can grow (signature memo, key cache, keyless users, login failures) is capped the
 * same way instead of six hand-rolled evictions.
 */

/**
 * Insertion-ordered, so the first key is the oldest. `set` of an existing key keeps its place
 * unless `touch` moves it to the back (most recent). Eviction happens on insert only.
 * @example
 * const memo = new BoundedMap<string, Promise<string>>(512)
 * memo.set(key, sig) // the oldest entry goes once 512 are held
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly limit: number

  constructor(limit: number) {
    super()
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError('limit must be a positive integer')
    this.limit = limit
  }

  override set(key: K, value: V): this {
    if (!this.has(key)) while (this.size >= this.limit) this.evictOldest()
    return super.set(key, value)
  }

  /** Sets `key` as the most recent entry. */
  touch(key: K, value: V): this {
    this.delete(key)
    return this.set(key, value)
  }

  private evictOldest(): void {
    const first = this.keys().next()
    if (first.done) return
    this.delete(first.value)
  }
}
