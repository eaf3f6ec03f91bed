/**
 * @module Whom to trust with which key: the online directory joined with the client store's pins
 * and name bindings. Every key the client encrypts to or verifies with comes from here. A key that
 * differs from its pin, or a new id under a name already bound to another id (PROTOCOL.md §6), is
 * reported once (`key-changed`, src/client/pins.ts) and then refused both ways until /trust.
 */

import { fingerprint, importPublicKey, type PublicKey } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import { logger } from '../log.ts'
import type { ClientStore } from '../store/index.ts'
import { type DirEntry, Directory, qualified } from './directory.ts'
import type { Emitter, SessionEvents } from './events.ts'
import { Pins } from './pins.ts'

const log = logger('client')

export type Advertised = { userId: string; username: string; serverId: string; pubkey: string | null }
/** A user as `list()` returns one. */
export type OnlineUser = { userId: string; username: string; serverId: string; pubkey: string }
export type KeyInfo = {
  userId: string
  username: string
  fingerprint: string
  pinned?: string
  verified?: boolean
}
/** A sender we can believe: its key, its name, and a short fingerprint while it is unverified. */
export type TrustedSender = { key: PublicKey; name: string; unverified?: string }

/** The first two groups of a fingerprint: enough to notice a different key on every line. */
export const shortFingerprint = (key: PublicKey): string => fingerprint(key).slice(0, 9)

export class Contacts {
  readonly directory = new Directory()
  /**
   * Users who are not online but whose directory entry we hold: those who went offline, and those
   * looked up (USER_LOOKUP, docs/wire.md §12). A DM that arrives after its sender's "offline"
   * notice, or one kept for us while we were away, verifies against this — never only the online list.
   */
  readonly known = new Directory()
  readonly #store: ClientStore
  readonly #events: Emitter<SessionEvents>
  readonly #pins: Pins
  readonly me: string

  constructor(store: ClientStore, events: Emitter<SessionEvents>, me: string) {
    this.#store = store
    this.#events = events
    this.#pins = new Pins(store, events)
    this.me = me
    store.onContradicted((userIds) => this.#recheck(userIds))
  }

  /** Records an advertised or listed user; a key that is not RSA-4096 drops the entry. */
  learn(u: Advertised, announce: boolean): void {
    let pubkey: PublicKey | null = null
    if (u.pubkey) {
      try {
        pubkey = importPublicKey(u.pubkey)
      } catch {
        log.warn('ignored a user with an unusable key', { user_id: u.userId })
        return
      }
    }
    const { keyChanged, verified } =
      pubkey !== null && u.userId !== this.me ? this.#pins.check(u, pubkey) : this.#pins.unchecked(u.userId)
    const fresh = this.directory.set({ ...u, pubkey, keyChanged, verified })
    this.known.delete(u.userId)
    if (fresh && announce && u.userId !== this.me) {
      this.#events.emit('presence', { online: true, userId: u.userId, username: u.username })
    }
  }

  /** USER_REMOVE: the user went offline (only if still located at `serverId`). */
  forget(userId: string, serverId: string): void {
    const e = this.directory.remove(userId, serverId)
    if (e) this.known.set(e)
    if (e && userId !== this.me) {
      this.#events.emit('presence', { online: false, userId, username: e.username })
    }
  }

  /**
   * The key to verify a sender's content with: the directory key, which must equal the frame's
   * `sender_pub` and the pin. For a user whose server advertised no key, the first `sender_pub`
   * seen is pinned instead (PROTOCOL.md §3.2). Returns the reason when there is no trusted key.
   */
  senderKey(userId: string, senderPub: string): TrustedSender | string {
    const e = this.directory.get(userId) ?? this.known.get(userId)
    if (!e) return 'the sender is not in the directory'
    if (e.keyChanged) return `the key of ${e.username} changed since it was pinned`
    let claimed: PublicKey
    try {
      claimed = importPublicKey(senderPub)
    } catch {
      return 'the frame carries an unusable key'
    }
    if (e.pubkey === null) {
      if (this.#pins.check(e, claimed).keyChanged) {
        e.keyChanged = true
        return `the key of ${e.username} changed since it was pinned`
      }
      e.pubkey = claimed
    }
    if (claimed.spki !== e.pubkey.spki) return 'sender_pub differs from the directory key'
    return { key: e.pubkey, name: e.username, ...(!e.verified && { unverified: shortFingerprint(e.pubkey) }) }
  }

  /**
   * The entry to send to. @throws ChatError('USER_NOT_FOUND') when not online, ChatError('BAD_KEY')
   * when there is no key or it is refused, ChatError('BAD_REQUEST') when the name is ambiguous.
   */
  recipient(userOrName: string): DirEntry & { pubkey: PublicKey } {
    const e = this.directory.resolve(userOrName) ?? this.known.resolve(userOrName)
    if (!e) throw new ChatError('USER_NOT_FOUND', `there is no user ${userOrName}`)
    if (e.keyChanged) {
      throw new ChatError(
        'BAD_KEY',
        `the key of ${qualified(e)} (${e.userId}) changed since it was pinned, or the name belongs to another id; ` +
          `refusing to send (compare /fingerprint ${e.userId} out of band, then /trust ${e.userId})`,
      )
    }
    const { pubkey } = e
    if (!pubkey) throw new ChatError('BAD_KEY', `no public key is known for ${e.username}`)
    return { ...e, pubkey }
  }

  /**
   * A directory entry from USER_LOOKUP: kept among the known users (checked against the pins like
   * any sighting) unless the user is online already. Returns the entry now held.
   */
  lookedUp(u: Advertised & { online: boolean }): DirEntry | undefined {
    const online = this.directory.get(u.userId)
    if (online) return online
    let pubkey: PublicKey
    try {
      pubkey = importPublicKey(u.pubkey ?? '')
    } catch {
      return undefined
    }
    const { keyChanged, verified } =
      u.userId !== this.me ? this.#pins.check(u, pubkey) : this.#pins.unchecked(u.userId)
    const e = { userId: u.userId, username: u.username, serverId: u.serverId, pubkey, keyChanged, verified }
    this.known.set(e)
    return e
  }

  /** Notes an exchange with `userId`: a contact that was messaged is never pruned. */
  messaged(userId: string): void {
    if (this.#store.contact(userId)) this.#store.messaged(userId)
  }

  /**
   * Applies a USER_LIST (authoritative: whoever is not in it is offline) in one store transaction,
   * and returns the online users.
   */
  applyList(
    users: readonly { user_id: string; username: string; server_id: string; pubkey: string }[],
  ): OnlineUser[] {
    this.#store.transaction(() => {
      for (const u of users) {
        this.learn(
          { userId: u.user_id, username: u.username, serverId: u.server_id, pubkey: u.pubkey },
          false,
        )
      }
    })
    for (const gone of this.directory.retain(new Set(users.map((u) => u.user_id)))) this.known.set(gone)
    return this.directory
      .online()
      .flatMap((e) =>
        e.pubkey
          ? [{ userId: e.userId, username: e.username, serverId: e.serverId, pubkey: e.pubkey.spki }]
          : [],
      )
  }

  /** Everyone online but us with a usable key; those refused (changed key or id) are `skipped`. */
  publicMembers(): { members: (DirEntry & { pubkey: PublicKey })[]; skipped: string[] } {
    const others = this.directory.online().filter((e) => e.userId !== this.me)
    const members = others.flatMap((e) => (e.pubkey && !e.keyChanged ? [{ ...e, pubkey: e.pubkey }] : []))
    const skipped = others.filter((e) => !e.pubkey || e.keyChanged).map((e) => qualified(e))
    return { members, skipped }
  }

  /** The fingerprint of an online user's key, and of the pinned one when they differ. */
  keyInfo(userOrName: string): KeyInfo {
    const e = this.directory.resolve(userOrName)
    if (!e?.pubkey) throw new ChatError('USER_NOT_FOUND', `${userOrName} is not online`)
    const spki = e.keyChanged ? this.#pins.pinnedFor(e) : undefined
    const pinned = spki === undefined ? undefined : fingerprint(importPublicKey(spki))
    return {
      userId: e.userId,
      username: e.username,
      fingerprint: fingerprint(e.pubkey),
      verified: e.verified,
      ...(pinned && { pinned }),
    }
  }

  /**
   * Accepts the key (and id) the directory now holds for a refused user, after the user compared
   * fingerprints out of band: it becomes the pin, bound to its name, and is no longer verified.
   */
  trust(userOrName: string): KeyInfo {
    const e = this.directory.resolve(userOrName)
    if (!e?.pubkey) throw new ChatError('USER_NOT_FOUND', `${userOrName} is not online`)
    if (!e.keyChanged) throw new ChatError('BAD_REQUEST', `the key of ${e.username} has not changed`)
    this.#store.pin({ userId: e.userId, username: e.username, serverId: e.serverId, pubkey: e.pubkey.spki })
    this.directory.set({ ...e, keyChanged: false, verified: false })
    return { userId: e.userId, username: e.username, fingerprint: fingerprint(e.pubkey), verified: false }
  }

  /**
   * Marks a user verified after an out-of-band fingerprint comparison (Signal's safety numbers):
   * its lines lose the short fingerprint, and any later change is reported as a verified key changing.
   */
  verify(userOrName: string): KeyInfo {
    const e = this.directory.resolve(userOrName)
    if (!e?.pubkey) throw new ChatError('USER_NOT_FOUND', `${userOrName} is not online`)
    if (e.keyChanged) throw new ChatError('BAD_KEY', `the key of ${e.username} changed: /trust it first`)
    if (!this.#store.contact(e.userId)) {
      this.#store.pin({ userId: e.userId, username: e.username, serverId: e.serverId, pubkey: e.pubkey.spki })
    }
    // Writes the waiting sightings first: a pin another process of this account wrote for this
    // id meanwhile, with another key, is found here and must not be marked verified.
    if (!this.#store.setVerified(e.userId, e.pubkey.spki, Date.now()))
      throw new ChatError(
        'BAD_KEY',
        `the key of ${e.username} changed: another client of this account pinned another one (compare /fingerprint ${e.userId}, then /trust it)`,
      )
    this.directory.set({ ...e, verified: true })
    return { userId: e.userId, username: e.username, fingerprint: fingerprint(e.pubkey), verified: true }
  }

  /**
   * First pins the store could not write because another process of this account pinned the id,
   * or bound the name, meanwhile: their keys are checked again against what it wrote.
   */
  #recheck(userIds: readonly string[]): void {
    for (const userId of userIds) {
      const e = this.directory.get(userId) ?? this.known.get(userId)
      if (!e?.pubkey || e.userId === this.me) continue
      const t = this.#pins.check(e, e.pubkey)
      e.keyChanged = t.keyChanged
      e.verified = t.verified
    }
  }
}
