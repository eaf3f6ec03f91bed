/**
 * @module Which user ids the client store holds a pin for and which names it has bound, in memory:
 * an all-mode client asks both for every user who logs in anywhere in the mesh, and nearly always
 * hears "no" (a first sighting), which no longer costs two SQLite lookups. Exact, not a filter:
 * loaded from the file at first use, kept in step by the store's own writes, and loaded again
 * whenever another connection changed the file (SQLite's `data_version`), so a pin written by a
 * second client process is never missed.
 */

export type IndexSource = {
  /** Every pinned id and every bound name (lower-case), read from the file. */
  load(): { ids: Iterable<string>; names: Iterable<string> }
  /** SQLite's `PRAGMA data_version`: changes when another connection commits. */
  version(): number
}

export class ContactIndex {
  readonly #source: IndexSource
  #ids = new Set<string>()
  #names = new Set<string>()
  #version: number | null = null

  constructor(source: IndexSource) {
    this.#source = source
  }

  /** True when the file holds a pin for `userId`. */
  pinned(userId: string): boolean {
    return this.#fresh().ids.has(userId)
  }

  /** True when the file binds `name` (lower-case) to some id. */
  bound(name: string): boolean {
    return this.#fresh().names.has(name)
  }

  /** The store pinned `userId` and bound `name` to it. */
  added(userId: string, name: string): void {
    if (this.#version === null) return
    this.#ids.add(userId)
    this.#names.add(name)
  }

  /** The store dropped the pin of `userId`; `name` went with it unless still bound to another id. */
  removed(userId: string, name: string, stillBound: boolean): void {
    if (this.#version === null) return
    this.#ids.delete(userId)
    if (!stillBound) this.#names.delete(name)
  }

  #fresh(): { ids: Set<string>; names: Set<string> } {
    const v = this.#source.version()
    if (v !== this.#version) {
      const { ids, names } = this.#source.load()
      this.#ids = new Set(ids)
      this.#names = new Set(names)
      this.#version = v
    }
    return { ids: this.#ids, names: this.#names }
  }
}
