/**
 * @module What the user decides about other people's keys (docs/security.md "Client trust"):
 * fingerprints to compare out of band, /verify, and /trust of a changed key — after which the DMs
 * refused because of the change (held, src/client/held.ts) are sent to the key just accepted.
 */

import { fingerprint } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import type { Identity } from './auth.ts'
import type { Contacts, KeyInfo } from './contacts.ts'
import type { SessionEvents } from './events.ts'
import { HeldMessages } from './held.ts'
import type { Lookups } from './lookups.ts'

export type KeyTrustDeps = {
  loggedIn(): { id: Identity; contacts: Contacts }
  lookups: Lookups
  /** Sends a DM (the session's `tell`). */
  tell(userId: string, text: string): Promise<unknown>
  error(e: SessionEvents['error']): void
}

export class KeyTrust {
  readonly #d: KeyTrustDeps
  readonly #held = new HeldMessages()

  constructor(deps: KeyTrustDeps) {
    this.#d = deps
  }

  /** The fingerprint of a user's key (ours when no user is given), to compare out of band. */
  async fingerprint(userOrName?: string): Promise<KeyInfo> {
    const { id, contacts } = this.#d.loggedIn()
    if (userOrName === undefined) {
      return { userId: id.userId, username: id.username, fingerprint: fingerprint(id.key.publicKey) }
    }
    await this.#d.lookups.known(userOrName)
    return contacts.keyInfo(userOrName)
  }

  /** Accepts a changed key or id as the new pin, then sends what was held for it. */
  async trust(userOrName: string): Promise<KeyInfo & { resent: number }> {
    await this.#d.lookups.known(userOrName)
    const k = this.#d.loggedIn().contacts.trust(userOrName)
    let resent = 0
    for (const text of this.#held.take(k.userId)) {
      try {
        await this.#d.tell(k.userId, text)
        resent++
      } catch (e) {
        const err = e instanceof ChatError ? e : new ChatError('INTERNAL', String(e))
        this.#d.error({
          code: err.code,
          detail: `a held message to ${k.username} was not sent: ${err.message}`,
        })
      }
    }
    return { ...k, resent }
  }

  /** Marks a user verified after an out-of-band fingerprint check (see Contacts.verify). */
  async verify(userOrName: string): Promise<KeyInfo> {
    await this.#d.lookups.known(userOrName)
    return this.#d.loggedIn().contacts.verify(userOrName)
  }

  /** A DM refused for a changed key is held until /trust; anything else is rethrown as it is. */
  holdRefused(e: unknown, userOrName: string, text: string): never {
    if (!(e instanceof ChatError) || e.code !== 'BAD_KEY') throw e
    const userId = this.#d.loggedIn().contacts.keyInfo(userOrName).userId
    if (!this.#held.hold(userId, text)) throw e
    throw new ChatError(
      'BAD_KEY',
      `${e.message}; your message is held and sent when you /trust ${userOrName}`,
    )
  }

  /** Logged out: nothing held survives the session. */
  clear(): void {
    this.#held.clear()
  }
}
