/**
 * @module What we sent and our server has not acknowledged yet (docs/wire.md §11), in send order:
 * each DM, public batch and file frame waits here until an ACK names its ref (then its promise
 * resolves with "delivered" or "queued") or an ERROR does (then it rejects). After a reconnect,
 * and for frames the server may have dropped unseen (rate limit), everything left is sent again:
 * the server's replay cache makes a second copy harmless, and it acknowledges it anyway.
 */

import type { ChatError } from '../errors.ts'
import {
  type ClientFrame,
  type ClientFrameType,
  type DeliveryAck,
  type DeliveryStatus,
  deliveryRef,
} from '../protocol/index.ts'

type Entry = {
  /** Writes the frame again (kept as a closure so each frame keeps its exact type). */
  transmit: (wire: Wire) => void
  sentAt: number
  resolve: (s: DeliveryStatus) => void
  reject: (e: ChatError) => void
}

/** Where frames go; `send` throws while there is no open link (the frame then waits for a resend). */
export type Wire = { send<K extends ClientFrameType>(frame: ClientFrame<K>): void; readonly isOpen: boolean }

/** An unacknowledged frame older than this, on a link that stayed open, is sent again. */
export const RESEND_AFTER_MS = 8_000

export class Unacked {
  /** ref → entry; a Map keeps insertion (send) order for resends. */
  readonly #entries = new Map<string, Entry>()
  #idle: (() => void)[] = []

  get size(): number {
    return this.#entries.size
  }

  /**
   * Sends `frame` (or keeps it for the next link) and resolves once the server took it.
   * Frames without a delivery ref are just sent.
   */
  send<K extends ClientFrameType>(wire: Wire, frame: ClientFrame<K>): Promise<DeliveryStatus> {
    const ref = deliveryRef(frame)
    if (ref === null) {
      wire.send(frame)
      return Promise.resolve('delivered')
    }
    const p = new Promise<DeliveryStatus>((resolve, reject) => {
      const transmit = (w: Wire) => w.send(frame)
      this.#entries.set(ref, { transmit, sentAt: Date.now(), resolve, reject })
    })
    if (wire.isOpen) {
      try {
        wire.send(frame)
      } catch {}
    }
    return p
  }

  /** An ACK {msg_ref:"DELIVERY", acks}: settles each named frame. */
  acked(acks: readonly DeliveryAck[]): void {
    for (const a of acks) {
      const e = this.#entries.get(a.ref)
      if (!e) continue
      this.#entries.delete(a.ref)
      e.resolve(a.status)
    }
    this.#maybeIdle()
  }

  /** An ERROR naming `ref`: that frame was refused. Returns false when the ref is not ours. */
  refused(ref: string, err: ChatError): boolean {
    const e = this.#entries.get(ref)
    if (!e) return false
    this.#entries.delete(ref)
    e.reject(err)
    this.#maybeIdle()
    return true
  }

  /** Sends again, in the original order, every frame still unacknowledged (older than `olderThanMs`). */
  resend(wire: Wire, olderThanMs = 0): number {
    const now = Date.now()
    let n = 0
    for (const e of this.#entries.values()) {
      if (now - e.sentAt < olderThanMs) continue
      if (!wire.isOpen) break
      e.sentAt = now
      e.transmit(wire)
      n++
    }
    return n
  }

  /** Rejects everything still waiting (the session ended for good). */
  abandon(err: ChatError): void {
    for (const e of this.#entries.values()) e.reject(err)
    this.#entries.clear()
    this.#maybeIdle()
  }

  /** Resolves once nothing waits for an acknowledgement. */
  idle(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #maybeIdle(): void {
    if (this.#entries.size > 0) return
    for (const fn of this.#idle.splice(0)) fn()
  }
}
