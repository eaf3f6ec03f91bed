/** @module The events a Session emits, and a tiny typed emitter with promise-based waiting. */

import type { ErrorCode } from '../errors.ts'

/** Everything a Session reports. Text fields that came from another user are NOT yet sanitised. */
export type SessionEvents = {
  /** `unverified`: the sender's short fingerprint, present until /verify (issue 15). */
  dm: { from: string; fromName: string; text: string; ts: number; unverified?: string }
  public: { from: string; fromName: string; text: string; ts: number; unverified?: string }
  'file-progress': {
    fileId: string
    direction: 'in' | 'out'
    peer: string
    peerName: string
    done: number
    total: number
  }
  file: {
    from: string
    fromName: string
    fileId: string
    path: string
    name: string
    size: number
    unverified?: string
  }
  /**
   * A file from an unverified sender waits for `Session.decideFile(fileId, accept)` (/accept,
   * /decline); undecided, it stalls and is dropped. Emitted only when `acceptFiles` is `ask`.
   */
  'file-offer': {
    fileId: string
    from: string
    fromName: string
    unverified: string
    name: string
    size: number
  }
  'file-failed': { fileId: string; peer: string; peerName: string; direction: 'in' | 'out'; reason: string }
  presence: { online: boolean; userId: string; username: string }
  error: { code: ErrorCode | string; detail: string }
  /**
   * A key that differs from its pin, or (with `pinnedId`) a new id under a name pinned to another
   * id. `verified`: the pinned contact had been verified, so this is louder.
   */
  'key-changed': {
    userId: string
    username: string
    old: string
    new: string
    verified: boolean
    pinnedId?: string
  }
  /** The server or the network ended a logged-in session (not emitted after `close()`). */
  closed: { code: number; reason: string }
}

export type EventName = keyof SessionEvents

/** A typed emitter: `on` returns its own unsubscribe; `next` waits for one matching event. */
export class Emitter<E extends Record<string, unknown> = SessionEvents> {
  readonly #listeners = new Map<keyof E, Set<(e: never) => void>>()

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof E>(name: K, fn: (e: E[K]) => void): () => void {
    const set = this.#listeners.get(name) ?? new Set()
    this.#listeners.set(name, set)
    set.add(fn as (e: never) => void)
    return () => set.delete(fn as (e: never) => void)
  }

  /** Calls every listener; one that throws does not stop the others. */
  emit<K extends keyof E>(name: K, event: E[K]): void {
    for (const fn of [...(this.#listeners.get(name) ?? [])]) {
      try {
        ;(fn as (e: E[K]) => void)(event)
      } catch {}
    }
  }

  /**
   * Resolves with the next `name` event that satisfies `match`, or rejects after `timeoutMs`.
   * @example const dm = await session.next('dm', (e) => e.fromName === 'bob')
   */
  next<K extends keyof E>(
    name: K,
    match: (e: E[K]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<E[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off()
        reject(new Error(`timed out waiting for "${String(name)}"`))
      }, timeoutMs)
      const off = this.on(name, (e) => {
        if (!match(e)) return
        clearTimeout(timer)
        off()
        resolve(e)
      })
    })
  }
}
