/**
 * @module The client's view of who is online: user id → username, home server and public key,
 * fed by USER_ADVERTISE / USER_REMOVE and refreshed by USER_LIST. Lookups by id, by username,
 * or by `username@<server label>` when two users share a name (PROTOCOL.md §6).
 */

import type { PublicKey } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import { asUuid } from '../protocol/index.ts'

/**
 * One online user. `keyChanged` marks a key that differs from its pin, or a new id under a name
 * bound to another id: never send to it, never believe it, until /trust. `verified`: /verify.
 */
export type DirEntry = {
  userId: string
  username: string
  serverId: string
  pubkey: PublicKey | null
  keyChanged: boolean
  verified: boolean
}

/** The short label that tells apart users who share a name: the first 8 hex digits of their server id. */
export function serverLabel(serverId: string): string {
  return serverId.replaceAll('-', '').slice(0, 8).toLowerCase()
}

/** `name@label`, the unambiguous way to name a user whose name is shared. */
export function qualified(e: { username: string; serverId: string }): string {
  return `${e.username}@${serverLabel(e.serverId)}`
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

  /**
   * Finds a user by id, by `name@label`, else by username (case-insensitive).
   * @throws ChatError('BAD_REQUEST') when a name matches several users, listing the candidates.
   */
  resolve(userOrName: string): DirEntry | undefined {
    const id = asUuid(userOrName)
    if (id) return this.#users.get(id)
    const [name = '', label] = userOrName.toLowerCase().split('@', 2)
    const matches = [...this.#users.values()].filter(
      (e) =>
        e.username.toLowerCase() === name &&
        (label === undefined || serverLabel(e.serverId).startsWith(label)),
    )
    if (matches.length > 1) {
      const list = matches
        .map((e) => `${qualified(e)} (${e.userId}${e.keyChanged ? ', key changed: refused' : ''})`)
        .join(', ')
      throw new ChatError('BAD_REQUEST', `${userOrName} is ambiguous; name one of: ${list}`)
    }
    return matches[0]
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
