/**
 * @module Whom to trust with which key: the online directory joined with the key pins. Every key
 * the client encrypts to or verifies with comes from here, and a key that differs from its pin
 * is reported once (`key-changed`) and then refused both ways.
 */

import { fingerprint, importPublicKey, type PublicKey } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import { logger } from '../log.ts'
import { type DirEntry, Directory } from './directory.ts'
import type { Emitter, SessionEvents } from './events.ts'
import type { PinStore } from './pins.ts'

const log = logger('client')

export type Advertised = { userId: string; username: string; serverId: string; pubkey: string | null }
/** A user as `list()` returns one. */
export type OnlineUser = { userId: string; username: string; serverId: string; pubkey: string }
export type KeyInfo = { userId: string; username: string; fingerprint: string; pinned?: string }

export class Contacts {
  readonly directory = new Directory()
  readonly #pins: PinStore
  readonly #events: Emitter<SessionEvents>
  /** `userId|spki` pairs already warned about, so one change gives one warning. */
  readonly #warned = new Set<string>()
  me: string | null = null

  constructor(pins: PinStore, events: Emitter<SessionEvents>) {
    this.#pins = pins
    this.#events = events
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
    const keyChanged = pubkey !== null && this.#keyChanged(u.userId, u.username, pubkey)
    const fresh = this.directory.set({ ...u, pubkey, keyChanged })
    if (fresh && announce && u.userId !== this.me) {
      this.#events.emit('presence', { online: true, userId: u.userId, username: u.username })
    }
  }

  /** USER_REMOVE: the user went offline (only if still located at `serverId`). */
  forget(userId: string, serverId: string): void {
    const e = this.directory.remove(userId, serverId)
    if (e && userId !== this.me) {
      this.#events.emit('presence', { online: false, userId, username: e.username })
    }
  }

  /**
   * The key to verify a sender's content with: the directory key, which must equal the frame's
   * `sender_pub` and the pin. For a user whose server advertised no key, the first `sender_pub`
   * seen is pinned instead (PROTOCOL.md §3.2). Returns the reason when there is no trusted key.
   */
  senderKey(userId: string, senderPub: string): { key: PublicKey; name: string } | string {
    const e = this.directory.get(userId)
    if (!e) return 'the sender is not in the directory'
    if (e.keyChanged) return `the key of ${e.username} changed since it was pinned`
    let claimed: PublicKey
    try {
      claimed = importPublicKey(senderPub)
    } catch {
      return 'the frame carries an unusable key'
    }
    if (e.pubkey === null) {
      if (this.#keyChanged(userId, e.username, claimed))
        return `the key of ${e.username} changed since it was pinned`
      e.pubkey = claimed
    }
    if (claimed.spki !== e.pubkey.spki) return 'sender_pub differs from the directory key'
    return { key: e.pubkey, name: e.username }
  }

  /**
   * The entry to send to. @throws ChatError('USER_NOT_FOUND') when not online, ChatError('BAD_KEY')
   * when there is no key or it differs from the pin.
   */
  recipient(userOrName: string): DirEntry & { pubkey: PublicKey } {
    const e = this.directory.resolve(userOrName)
    if (!e) throw new ChatError('USER_NOT_FOUND', `${userOrName} is not online`)
    if (e.keyChanged) {
      throw new ChatError(
        'BAD_KEY',
        `the key of ${e.username} changed since it was first seen; refusing to send (compare /fingerprint ${e.username} out of band)`,
      )
    }
    const { pubkey } = e
    if (!pubkey) throw new ChatError('BAD_KEY', `no public key is known for ${e.username}`)
    return { ...e, pubkey }
  }

  /** Applies a USER_LIST (authoritative: whoever is not in it is offline) and returns the online users. */
  applyList(
    users: readonly { user_id: string; username: string; server_id: string; pubkey: string }[],
  ): OnlineUser[] {
    for (const u of users) {
      this.learn({ userId: u.user_id, username: u.username, serverId: u.server_id, pubkey: u.pubkey }, false)
    }
    this.directory.retain(new Set(users.map((u) => u.user_id)))
    return this.directory
      .online()
      .flatMap((e) =>
        e.pubkey
          ? [{ userId: e.userId, username: e.username, serverId: e.serverId, pubkey: e.pubkey.spki }]
          : [],
      )
  }

  /** Everyone online but us with a usable key; those whose key differs from its pin are `skipped`. */
  publicMembers(): { members: (DirEntry & { pubkey: PublicKey })[]; skipped: string[] } {
    const others = this.directory.online().filter((e) => e.userId !== this.me)
    const members = others.flatMap((e) => (e.pubkey && !e.keyChanged ? [{ ...e, pubkey: e.pubkey }] : []))
    const skipped = others.filter((e) => !e.pubkey || e.keyChanged).map((e) => e.username)
    return { members, skipped }
  }

  /** The fingerprint of an online user's key, and of the pinned one when they differ. */
  keyInfo(userOrName: string): KeyInfo {
    const e = this.directory.resolve(userOrName)
    if (!e?.pubkey) throw new ChatError('USER_NOT_FOUND', `${userOrName} is not online`)
    const spki = e.keyChanged ? this.#pins.get(e.userId) : undefined
    const pinned = spki === undefined ? undefined : fingerprint(importPublicKey(spki))
    return {
      userId: e.userId,
      username: e.username,
      fingerprint: fingerprint(e.pubkey),
      ...(pinned && { pinned }),
    }
  }

  /**
   * Accepts the key the directory now holds for a user whose key changed (after the user compared
   * fingerprints out of band): it becomes the pin and the user can be messaged again.
   */
  trust(userOrName: string): KeyInfo {
    const e = this.directory.resolve(userOrName)
    if (!e?.pubkey) throw new ChatError('USER_NOT_FOUND', `${userOrName} is not online`)
    if (!e.keyChanged) throw new ChatError('BAD_REQUEST', `the key of ${e.username} has not changed`)
    this.#pins.trust(e.userId, e.username, e.pubkey.spki)
    this.directory.set({ ...e, keyChanged: false })
    return { userId: e.userId, username: e.username, fingerprint: fingerprint(e.pubkey) }
  }

  #keyChanged(userId: string, username: string, key: PublicKey): boolean {
    const check = this.#pins.check(userId, username, key.spki)
    if (check.status !== 'changed') return false
    const tag = `${userId}|${key.spki}`
    if (!this.#warned.has(tag)) {
      this.#warned.add(tag)
      const old = fingerprint(importPublicKey(check.pinned))
      this.#events.emit('key-changed', { userId, username, old, new: fingerprint(key) })
    }
    return true
  }
}
