/**
 * @module The roster: every user online anywhere in the mesh, in memory, kept sorted by (username,
 * user id) so a page of the online list is a binary search and a slice — no SQLite query per
 * user, no sort per request (docs/scale.md). Written only by Presence.
 */

export type OnlineUser = { user_id: string; username: string; server_id: string; pubkey: string }

/** The sort key, also the paging cursor: usernames cannot contain a space (docs/wire.md §2). */
const keyOf = (u: { username: string; user_id: string }) => `${u.username} ${u.user_id}`

export class Roster {
  readonly #byId = new Map<string, OnlineUser>()
  /** Lower-cased username → user id (usernames are unique in the directory). */
  readonly #byName = new Map<string, string>()
  /** Every online user's sort key, ascending. */
  readonly #order: string[] = []

  get size(): number {
    return this.#byId.size
  }

  get(userId: string): OnlineUser | undefined {
    return this.#byId.get(userId)
  }

  /** An online user by id, else by username (any case). */
  find(userOrName: string): OnlineUser | undefined {
    const id = this.#byName.get(userOrName.toLowerCase()) ?? userOrName
    return this.#byId.get(id)
  }

  /** Adds or moves a user: O(log n) search plus one array shift. */
  set(u: OnlineUser): void {
    const old = this.#byId.get(u.user_id)
    if (old && keyOf(old) !== keyOf(u)) this.#unindex(old)
    if (!old || keyOf(old) !== keyOf(u)) this.#order.splice(this.#index(keyOf(u)), 0, keyOf(u))
    this.#byId.set(u.user_id, u)
    this.#byName.set(u.username.toLowerCase(), u.user_id)
  }

  delete(userId: string): OnlineUser | undefined {
    const old = this.#byId.get(userId)
    if (!old) return undefined
    this.#unindex(old)
    this.#byId.delete(userId)
    if (this.#byName.get(old.username.toLowerCase()) === userId)
      this.#byName.delete(old.username.toLowerCase())
    return old
  }

  /** Up to `limit` users sorted after the cursor `after` ("" = from the start), and the next cursor. */
  page(after: string, limit: number): { users: OnlineUser[]; next?: string } {
    const start = after ? this.#index(after, true) : 0
    const keys = this.#order.slice(start, start + limit)
    const users = keys.flatMap((k) => this.#byId.get(k.slice(k.indexOf(' ') + 1)) ?? [])
    const last = keys.at(-1)
    return start + limit < this.#order.length && last ? { users, next: last } : { users }
  }

  /** Everyone, sorted (status lines, tests): O(n), never on a per-login path. */
  all(): OnlineUser[] {
    return this.page('', this.#order.length).users
  }

  #unindex(u: OnlineUser): void {
    const i = this.#index(keyOf(u))
    if (this.#order[i] === keyOf(u)) this.#order.splice(i, 1)
  }

  /** The first position whose key is ≥ `key` (or > `key` when `after`). */
  #index(key: string, after = false): number {
    let lo = 0
    let hi = this.#order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const k = this.#order[mid] as string
      if (k < key || (after && k === key)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
