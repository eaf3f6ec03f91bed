/**
 * @module Delivery acknowledgements on one user link (docs/wire.md §11): every DM, public batch and
 * file frame the server accepted is named in an ACK, so a client knows what it may stop resending
 * and can exit only when everything it sent was taken. Acks are batched — one signed ACK per
 * `ACK_DELAY_MS` or per 256 refs — so a file of 700 chunks costs a handful of signatures, not 700.
 */

import { type DeliveryAck, MAX_ACKS_PER_FRAME } from '../../protocol/index.ts'

/** How long the first ack of a batch waits for company. */
export const ACK_DELAY_MS = 15

/** Sends one batch; the caller signs and writes it (Outbox.send). */
export type AckSender = (acks: DeliveryAck[]) => Promise<void>

export class Acks {
  #pending: DeliveryAck[] = []
  #timer: ReturnType<typeof setTimeout> | null = null
  #send: AckSender | null = null

  /**
   * Records that the frame `ref` was accepted; sends the batch when it is full, when nothing else
   * waits on the link (`more` false: a lone DM is acked at once), or when its time is up.
   */
  add(ack: DeliveryAck, send: AckSender, more: boolean): void {
    this.#send = send
    this.#pending.push(ack)
    if (!more || this.#pending.length >= MAX_ACKS_PER_FRAME) return this.flush()
    this.#timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS)
  }

  /** Sends what is pending now (also when the link closes: nothing acked is kept back). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const batch = this.#pending.splice(0)
    if (batch.length > 0 && this.#send) void this.#send(batch).catch(() => {})
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#pending = []
  }
}
