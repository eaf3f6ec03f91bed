/**
 * @module The pins' verdict on a key: checked against the client store's pin for the user id and
 * the ids its name is bound to (PROTOCOL.md §6); a first sighting is pinned, a different key or a
 * new id under a bound name is a key change, reported once (`key-changed`).
 */

import { fingerprint, importPublicKey, type PublicKey } from '../crypto/index.ts'
import type { ClientStore } from '../store/index.ts'
import type { Emitter, SessionEvents } from './events.ts'

/** What the pins say of a key: refuse it (`keyChanged`), or take it, verified or not. */
export type Trust = { keyChanged: boolean; verified: boolean }

type Sighted = { userId: string; username: string; serverId: string }

export class Pins {
  readonly #store: ClientStore
  readonly #events: Emitter<SessionEvents>
  /** `userId|spki` pairs already warned about, so one change gives one warning. */
  readonly #warned = new Set<string>()

  constructor(store: ClientStore, events: Emitter<SessionEvents>) {
    this.#store = store
    this.#events = events
  }

  /**
   * Checks a key against the pins and name bindings, and pins a first sighting. One lookup for a
   * pinned user, two for a first sighting: every all-mode client does this for every login in the mesh.
   */
  check(u: Sighted, key: PublicKey): Trust {
    const pin = this.#store.contact(u.userId)
    if (pin) {
      if (pin.pubkey === key.spki) {
        this.#store.seen(u.userId, u.serverId)
        return { keyChanged: false, verified: pin.verifiedAt !== null }
      }
      this.#warn(u, key, pin.pubkey, pin.verifiedAt !== null, null)
      return { keyChanged: true, verified: false }
    }
    // A name already bound to other ids: a new id under it is a key change, never a first sighting.
    if (this.#store.nameBound(u.username)) {
      const bound = this.#store.byName(u.username)
      const first = bound[0]!
      this.#warn(
        u,
        key,
        first.pubkey,
        bound.some((c) => c.verifiedAt !== null),
        first.userId,
      )
      return { keyChanged: true, verified: false }
    }
    this.#store.sighted({ userId: u.userId, username: u.username, serverId: u.serverId, pubkey: key.spki })
    return { keyChanged: false, verified: false }
  }

  /** Our own entry, or one without a key: nothing to check, only whether its pin was verified. */
  unchecked(userId: string): Trust {
    return { keyChanged: false, verified: (this.#store.contact(userId)?.verifiedAt ?? null) !== null }
  }

  /** The pinned key an entry conflicts with: its own pin, or the pin of the id its name is bound to. */
  pinnedFor(e: { userId: string; username: string }): string | undefined {
    return this.#store.contact(e.userId)?.pubkey ?? this.#store.byName(e.username)[0]?.pubkey
  }

  #warn(
    u: { userId: string; username: string },
    key: PublicKey,
    pinned: string,
    verified: boolean,
    pinnedId: string | null,
  ): void {
    const tag = `${u.userId}|${key.spki}`
    if (this.#warned.has(tag)) return
    this.#warned.add(tag)
    this.#events.emit('key-changed', {
      userId: u.userId,
      username: u.username,
      old: fingerprint(importPublicKey(pinned)),
      new: fingerprint(key),
      verified,
      ...(pinnedId !== null && { pinnedId }),
    })
  }
}
