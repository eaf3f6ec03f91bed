/**
 * @module Sightings waiting for their write: first keys pinned and known users seen again, held in
 * memory and written in one transaction at most `delayMs` later. A client that follows everyone's
 * presence sights every user who logs in anywhere in the mesh; one commit per sighting cost
 * ≈ 0.04–0.08 ms of CPU each on every such client, now one commit per `delayMs`. No lock is held
 * while they wait (another process on the same store is never blocked), and the store's reads
 * see them, so no pin decision is made on stale rows. A sighting lost to a crash is taken again at
 * the next one, which is all a first sighting ever was.
 */

import { logger } from '../log.ts'

const log = logger('store')

/** Longest a sighting waits for its write. */
export const SIGHTING_DELAY_MS = 1_000
/** Sightings held at most; one more writes them all at once. */
const MAX_WAITING = 2_000

/** A first key for a user, bound to their name (lower-case). */
export type FirstSighting = { userId: string; username: string; serverId: string; pubkey: string }

type Waiting =
  | {
      readonly kind: 'pin'
      readonly pin: FirstSighting
      readonly at: number
      serverId: string
      seenAt: number
    }
  | { readonly kind: 'seen'; serverId: string; seenAt: number }

export type SightingWriter = {
  /**
   * Writes a first pin; false when the file contradicts it — another process of this account
   * pinned the id, or bound the name to another id, meanwhile — and nothing was written.
   */
  pin(pin: FirstSighting, at: number): boolean
  seen(userId: string, serverId: string, at: number): void
  /** Runs the writes as one transaction. */
  transaction(fn: () => void): void
}

export class Sightings {
  readonly #write: SightingWriter
  readonly #delayMs: number
  readonly #waiting = new Map<string, Waiting>()
  /** Waiting first pins by lower-case name, in sighting order. */
  readonly #byName = new Map<string, FirstSighting[]>()
  #timer: ReturnType<typeof setTimeout> | null = null
  #pins = 0

  /** Told the users whose first pin the file contradicted, after the write (see `SightingWriter.pin`). */
  onContradicted: (userIds: string[]) => void = () => {}

  constructor(write: SightingWriter, delayMs = SIGHTING_DELAY_MS) {
    this.#write = write
    this.#delayMs = delayMs
  }

  /** `userId` is first seen with `pubkey` (the store holds no pin for them, nor their name). */
  pin(p: FirstSighting, now: number): void {
    const pin = { ...p, username: p.username.toLowerCase() }
    // Only ever a user with no pin, waiting or stored (the store's reads decide that first).
    this.#hold(pin.userId, { kind: 'pin', pin, at: now, serverId: pin.serverId, seenAt: now })
    this.#later()
  }

  /** A pinned user seen again, at `serverId`. */
  seen(userId: string, serverId: string, now: number): void {
    const w = this.#waiting.get(userId)
    if (w) {
      w.serverId = serverId
      w.seenAt = now
    } else this.#waiting.set(userId, { kind: 'seen', serverId, seenAt: now })
    this.#later()
  }

  /** The first pin of `userId` still waiting, with when and where it was last seen. */
  pinOf(userId: string): (FirstSighting & { at: number; seenAt: number }) | null {
    const w = this.#waiting.get(userId)
    return w?.kind === 'pin' ? { ...w.pin, serverId: w.serverId, at: w.at, seenAt: w.seenAt } : null
  }

  /** A later sighting of a stored contact not yet written: where and when. */
  seenOf(userId: string): { serverId: string; seenAt: number } | null {
    const w = this.#waiting.get(userId)
    return w ? { serverId: w.serverId, seenAt: w.seenAt } : null
  }

  /** Waiting first pins bound to `username` (lower-case), oldest first. */
  pinsNamed(username: string): readonly FirstSighting[] {
    return this.#byName.get(username) ?? []
  }

  /** First pins waiting: they count toward the contacts bound. */
  get pins(): number {
    return this.#pins
  }

  /**
   * Writes everything waiting now, in one transaction (no-op when nothing waits). If the write
   * fails (the file locked or its disk failing), everything stays waiting, still deciding, and is
   * tried again later: a failed write must not let a later key pass as a first sighting.
   */
  settle(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    if (this.#waiting.size === 0) return
    const waiting = [...this.#waiting]
    this.#waiting.clear()
    this.#byName.clear()
    this.#pins = 0
    const contradicted: string[] = []
    try {
      this.#write.transaction(() => {
        for (const [userId, w] of waiting) {
          if (w.kind === 'pin' && !this.#write.pin({ ...w.pin, serverId: w.serverId }, w.at)) {
            contradicted.push(userId)
            continue
          }
          if (w.kind === 'seen' || w.seenAt > w.at) this.#write.seen(userId, w.serverId, w.seenAt)
        }
      })
    } catch (e) {
      log.warn('sightings could not be written; they wait for the next try', {
        count: waiting.length,
        error: String(e),
      })
      for (const [userId, w] of waiting) if (!this.#waiting.has(userId)) this.#hold(userId, w)
      this.#arm()
      return
    }
    if (contradicted.length > 0) this.onContradicted(contradicted)
  }

  #hold(userId: string, w: Waiting): void {
    this.#waiting.set(userId, w)
    if (w.kind !== 'pin') return
    this.#pins++
    this.#byName.set(w.pin.username, [...(this.#byName.get(w.pin.username) ?? []), w.pin])
  }

  #later(): void {
    if (this.#waiting.size >= MAX_WAITING) this.settle()
    else this.#arm()
  }

  /** Writes what waits within `delayMs`, unless a write is already due. */
  #arm(): void {
    if (this.#timer) return
    this.#timer = setTimeout(() => this.settle(), this.#delayMs)
    // Waiting sightings never keep a process alive; the store's `close` writes them.
    this.#timer.unref?.()
  }
}
