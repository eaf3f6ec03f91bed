/**
 * @module Mailbox: store-and-forward for this server's home users (docs/wire.md §13). A DM or file
 * frame for a home user who is offline is kept in the database exactly as it would be handed over
 * — still end-to-end encrypted, with the sender's original `ts` — and handed over, in order, right
 * after that user's next login. Bounded by a time-to-live and by quotas per recipient and per sender.
 */

import { z } from 'zod'
import { ChatError } from '../errors.ts'
import {
  FileChunkPayloadSchema,
  FileEndPayloadSchema,
  FileStartPayloadSchema,
  UserDeliverPayloadSchema,
  UuidSchema,
} from '../protocol/index.ts'
import type { Store } from '../store/index.ts'
import type { Outbox } from './outbox.ts'

export type MailboxLimits = {
  /** How long a kept frame waits for its recipient. */
  ttlMs: number
  /** Frames kept for one recipient (a 300 KB file is ≈ 690 chunk frames). */
  perRecipient: number
  /** Payload bytes kept for one recipient. */
  bytesPerRecipient: number
  /** Frames one sender may have waiting here, for all recipients together. */
  perSender: number
  /**
   * Frames one sender may have waiting for one recipient: a tenth of the recipient's share, so a
   * few flooding senders cannot fill a user's queue and crowd out everyone else (a 300 KB file is
   * ≈ 690 frames).
   */
  perPair: number
}

export const DEFAULT_MAILBOX_LIMITS: MailboxLimits = {
  ttlMs: 7 * 24 * 3_600_000,
  perRecipient: 10_000,
  bytesPerRecipient: 32 * 1024 * 1024,
  perSender: 5_000,
  perPair: 1_000,
}

const WithSender = { sender: UuidSchema }
/** What a kept row holds: the frame type the user will get and its payload (parsed when read back). */
const KeptSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('USER_DELIVER'), payload: UserDeliverPayloadSchema }),
  z.object({ type: z.literal('FILE_START'), payload: FileStartPayloadSchema.extend(WithSender) }),
  z.object({ type: z.literal('FILE_CHUNK'), payload: FileChunkPayloadSchema.extend(WithSender) }),
  z.object({ type: z.literal('FILE_END'), payload: FileEndPayloadSchema.extend(WithSender) }),
])
export type Kept = z.infer<typeof KeptSchema>

/** Where kept frames go: a user link, and how far it was sent. */
export type HandOverLink = {
  send(text: string): void
  readonly closed: boolean
  readonly user: { readonly kept: { sent: number } } | null
}

/** Frames handed over per database page (each is signed, concurrently, before the page is sent). */
const PAGE = 128

export class Mailbox {
  readonly #store: Store
  readonly limits: MailboxLimits

  constructor(store: Store, limits: Partial<MailboxLimits> = {}) {
    this.#store = store
    this.limits = { ...DEFAULT_MAILBOX_LIMITS, ...limits }
  }

  /**
   * Keeps one frame for an offline home user. `ts` is the sender's original one.
   * @throws ChatError('RATE_LIMITED') when a quota is reached (the sender is told; nothing is kept).
   */
  keep(recipient: string, sender: string, ts: number, kept: Kept): void {
    const q = this.#store.queue
    const now = Date.now()
    q.expire(now)
    const payload = JSON.stringify(kept.payload)
    const use = q.usage(recipient)
    if (use.frames >= this.limits.perRecipient || use.bytes + payload.length > this.limits.bytesPerRecipient)
      throw new ChatError('RATE_LIMITED', 'the offline queue of this user is full')
    if (q.fromSender(sender) >= this.limits.perSender)
      throw new ChatError('RATE_LIMITED', 'you have too many messages waiting for offline users here')
    if (q.between(sender, recipient) >= this.limits.perPair)
      throw new ChatError('RATE_LIMITED', 'you have too many messages waiting for this user')
    q.put({ recipient, sender, type: kept.type, ts, payload, expiresAt: now + this.limits.ttlMs })
  }

  /** Frames waiting for `recipient`. */
  waiting(recipient: string): number {
    return this.#store.queue.usage(recipient).frames
  }

  /**
   * Hands everything kept for `recipient` to `link`, oldest first, each frame signed by us with the
   * sender's original `ts` (and, for files, `from`), each page followed by `ACK {msg_ref: "KEPT",
   * upto}`. Nothing is forgotten here: only the client's confirmation does that (`confirmed`), so
   * a client that drops before handling what it was sent gets it again at its next login.
   * `onSender` is told the sender of each DM and file handed over.
   */
  async handOver(
    outbox: Outbox,
    link: HandOverLink,
    recipient: string,
    onSender: (sender: string) => void = () => {},
  ): Promise<void> {
    const q = this.#store.queue
    q.expire(Date.now())
    let after = 0
    for (;;) {
      const rows = q.page(recipient, after, PAGE)
      if (rows.length === 0 || link.closed) return
      after = rows.at(-1)?.seq ?? after
      const texts = await Promise.all([
        ...rows.map((r) => {
          const k = KeptSchema.safeParse({ type: r.type, payload: JSON.parse(r.payload) })
          return k.success ? frameOf(outbox, recipient, r.ts, k.data) : Promise.resolve(null)
        }),
        outbox.frame('ACK', recipient, { msg_ref: 'KEPT', upto: after }),
      ])
      const kept = link.user?.kept
      if (link.closed || !kept) return
      for (const t of texts) if (t !== null) link.send(t)
      for (const r of rows) if (r.type !== 'FILE_CHUNK' && r.type !== 'FILE_END') onSender(r.sender)
      kept.sent = Math.max(kept.sent, after)
    }
  }

  /** The client handled what was handed over up to `upto` on a link that was sent that far. */
  confirmed(recipient: string, upto: number, sentOnLink: number): void {
    const through = Math.min(upto, sentOnLink)
    if (through > 0) this.#store.queue.delivered(recipient, through)
  }
}

/**
 * A kept frame as the user receives it (docs/wire.md §13: as if it had been delivered live) — also
 * how a live DM or file frame is signed for them; `owner` is whose turn the signature takes
 * (src/server/fair.ts).
 */
export function frameOf(outbox: Outbox, to: string, ts: number, k: Kept, owner?: string): Promise<string> {
  switch (k.type) {
    case 'USER_DELIVER':
      return outbox.frame(k.type, to, k.payload, { ts, owner })
    case 'FILE_START':
      return outbox.frame(k.type, to, k.payload, { ts, from: k.payload.sender, owner })
    case 'FILE_CHUNK':
      return outbox.frame(k.type, to, k.payload, { ts, from: k.payload.sender, owner })
    case 'FILE_END':
      return outbox.frame(k.type, to, k.payload, { ts, from: k.payload.sender, owner })
  }
}
