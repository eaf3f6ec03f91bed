/**
 * @module Messages refused because their recipient's key changed (docs/security.md "Client
 * trust"): kept in memory, never on disk, until the user compares fingerprints and `/trust`s the
 * new key — then they are sent, encrypted to that key — or the session ends. Bounded, so a key
 * change cannot make the client hoard a whole conversation.
 */

const PER_USER = 20
const USERS = 50

export class HeldMessages {
  readonly #byUser = new Map<string, string[]>()

  /** Keeps `text` for `userId`; false when the bounds are reached (the message is then lost). */
  hold(userId: string, text: string): boolean {
    const list = this.#byUser.get(userId)
    if (list) {
      if (list.length >= PER_USER) return false
      list.push(text)
      return true
    }
    if (this.#byUser.size >= USERS) return false
    this.#byUser.set(userId, [text])
    return true
  }

  /** Everything held for `userId`, oldest first, and forgets it. */
  take(userId: string): string[] {
    const list = this.#byUser.get(userId) ?? []
    this.#byUser.delete(userId)
    return list
  }

  clear(): void {
    this.#byUser.clear()
  }
}
