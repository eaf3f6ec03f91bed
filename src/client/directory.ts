/**
 * @module The client's view of who is online: user id → username, home server and public key,
 * fed by USER_ADVERTISE / USER_REMOVE and refreshed by USER_LIST. Lookups by username or id.
 */

import type { PublicKey } from '../crypto/index.ts'
import { asUuid } from '../protocol/index.ts'

/** One online user. `keyChanged` marks a key that differs from the pinned one: never send to it. */
export type DirEntry = {
  userId: string
  username: string
  serverId: string
  pubkey: PublicKey | null
  keyChanged: boolean
}

export class Directory {
  readonly #users = new Map<string, DirEntry>()

  /** Adds or replaces a user; returns true when the user was not online before. */
  set(entry: DirEntry): boolean {
    const fresh = !this.#users.has(entry.userId)
    this.#users.set(entry.userId, entry)
    return fresh
  }

  /** The entry for a user id. */
  get(userId: string): DirEntry | undefined {
    return this.#users.get(userId)
  }

  /**
   * Removes a user only while it is still located at `serverId` (PROTOCOL.md §4: a stale remove
   * must not undo a newer advertise). Returns the removed entry.
   */
  remove(userId: string, serverId: string): DirEntry | undefined {
    const e = this.#users.get(userId)
    if (!e || e.serverId !== serverId) return undefined
    this.#users.delete(userId)
    return e
  }

  /** Drops everyone not in `userIds` (a USER_LIST is authoritative); returns who was dropped. */
  retain(userIds: ReadonlySet<string>): DirEntry[] {
    const gone = [...this.#users.values()].filter((e) => !userIds.has(e.userId))
    for (const e of gone) this.#users.delete(e.userId)
    return gone
  }

  /** Finds a user by id, else by username (case-insensitive). */
  resolve(userOrName: string): DirEntry | undefined {
    const id = asUuid(userOrName)
    if (id) return this.#users.get(id)
    const name = userOrName.toLowerCase()
    for (const e of this.#users.values()) if (e.username.toLowerCase() === name) return e
    return undefined
  }

  /** Everyone online, sorted by username then id. */
  online(): DirEntry[] {
    return [...this.#users.values()].sort((a, b) =>
      a.username === b.username ? a.userId.localeCompare(b.userId) : a.username < b.username ? -1 : 1,
    )
  }

  clear(): void {
    this.#users.clear()
  }
}
