/**
 * @module The session's connection to its server, across reconnects: one live ClientLink at a
 * time, delivery receipts matched to what was sent (docs/wire.md §11), and — once logged in — a
 * lost link resumed with backoff and the identity held in memory, then everything unacknowledged
 * sent again. A replaced session (close 4002) or a refused resume ends it for good (`closed`).
 */

import { ChatError } from '../errors.ts'
import type { ClientTls } from '../net/index.ts'
import type { ClientFrame, ClientFrameType, DeliveryStatus, ServerToClientFrame } from '../protocol/index.ts'
import { type Identity, resume } from './auth.ts'
import type { Emitter, SessionEvents } from './events.ts'
import { ClientLink, errorFromFrame } from './link.ts'
import { backoffMs, endsForGood } from './resume.ts'
import { RESEND_AFTER_MS, Unacked, type Wire } from './unacked.ts'

/** What the connection needs from its session. */
export type ConnectionHooks = {
  /** Frames that are not receipts (the session's inbox). */
  onFrame(f: ServerToClientFrame): void
  /** The identity to resume with; null before login (a lost link is then simply reopened later). */
  identity(): Identity | null
  /** A resumed login: its identity carries the server's current clock skew. */
  resumed(id: Identity): void
  events: Emitter<SessionEvents>
}

export type ConnectionOptions = { tls?: ClientTls | undefined; maxReconnects?: number | undefined }

export class Connection {
  readonly #url: string
  readonly #opts: ConnectionOptions
  readonly #hooks: ConnectionHooks
  #link: ClientLink
  /** Frames our server has not acknowledged yet, resent after a reconnect. */
  readonly #unacked = new Unacked()
  /** Set while a lost connection is being re-established; sends wait for it. */
  #reconnecting: Promise<boolean> | null = null
  #resender: ReturnType<typeof setInterval> | null = null
  #closing = false
  readonly #wire: Wire

  /** Takes over `link`, freshly opened (ClientLink.open). */
  constructor(url: string, link: ClientLink, opts: ConnectionOptions, hooks: ConnectionHooks) {
    this.#url = url
    this.#opts = opts
    this.#hooks = hooks
    this.#link = link
    const self = this
    this.#wire = {
      send: (f) => self.#link.send(f),
      get isOpen() {
        return self.#link.isOpen && self.#hooks.identity() !== null
      },
    }
    this.#attach(link)
  }

  /** The live link (for request/answer exchanges: LIST, USER_LOOKUP). */
  get link(): ClientLink {
    return this.#link
  }

  /** Frames sent and not acknowledged yet. */
  get unacknowledged(): number {
    return this.#unacked.size
  }

  /** A link to register or log in on: the current one, or a new one if the server closed it. */
  async preAuth(): Promise<ClientLink> {
    if (!this.#link.isOpen) {
      this.#link = await ClientLink.open(this.#url, undefined, this.#opts.tls)
      this.#attach(this.#link)
    }
    return this.#link
  }

  /** Logged in: frames the server may have dropped unseen (over its rate) are sent again. */
  loggedIn(): void {
    if (this.#resender) clearInterval(this.#resender)
    this.#resender = setInterval(() => {
      if (!this.#reconnecting) this.#unacked.resend(this.#wire, RESEND_AFTER_MS)
    }, RESEND_AFTER_MS / 2)
  }

  /** Sends one frame; resolves with the server's verdict once it is acknowledged. */
  send<K extends ClientFrameType>(frame: ClientFrame<K>): Promise<DeliveryStatus> {
    return this.#unacked.send(this.#wire, frame)
  }

  /** Waits for socket room; across a reconnect it waits for the new link. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#reconnecting && !(await this.#reconnecting))
        throw new ChatError('INTERNAL', 'connection closed')
      try {
        return await this.#link.drain()
      } catch (e) {
        if (!this.#reconnecting) throw e
      }
    }
  }

  /** Resolves once every frame was acknowledged and the socket buffer is empty. */
  async flush(): Promise<void> {
    await this.#unacked.idle()
    if (this.#link.isOpen) await this.#link.drain(0).catch(() => {})
  }

  /** Closes for good (quit), or only this login (`logout`: a later login opens a new link). */
  async close(ctrl: ClientFrame<'CTRL_CLOSE'>, { logout = false } = {}): Promise<void> {
    this.#closing = true
    if (this.#resender) clearInterval(this.#resender)
    this.#resender = null
    if (!logout)
      this.#unacked.abandon(new ChatError('INTERNAL', 'the session was closed before the server took it'))
    await this.#link.close(ctrl)
    if (logout) this.#closing = false
  }

  #attach(link: ClientLink): void {
    link.onFrame((f) => this.#hooks.onFrame(f))
    link.onReceipt((f) => {
      if (f.type === 'ACK' && f.payload.msg_ref === 'DELIVERY') {
        this.#unacked.acked(f.payload.acks ?? [])
        return true
      }
      if (f.type === 'ERROR' && f.payload.msg_ref !== undefined) {
        return this.#unacked.refused(f.payload.msg_ref, errorFromFrame(f.payload))
      }
      return false
    })
    link.onClose((code, reason) => {
      // Before login a closed link is simply reopened by the next register/login; after close()
      // the caller knows already. A logged-in session the network or a restart cut is resumed.
      if (!this.#hooks.identity() || this.#closing || link !== this.#link) return
      if (endsForGood(code)) return this.#end(code, reason)
      this.#reconnecting ??= this.#reconnect(code, reason).finally(() => {
        this.#reconnecting = null
      })
    })
  }

  /** Retries with backoff, logs in again with the identity held in memory, resends what was not acked. */
  async #reconnect(code: number, reason: string): Promise<boolean> {
    const max = this.#opts.maxReconnects ?? Number.POSITIVE_INFINITY
    const { events } = this.#hooks
    for (let attempt = 1; attempt <= max && !this.#closing; attempt++) {
      const delayMs = backoffMs(attempt)
      events.emit('reconnecting', { attempt, delayMs, code, reason })
      await Bun.sleep(delayMs)
      const id = this.#hooks.identity()
      if (this.#closing || !id) return false
      try {
        const link = await ClientLink.open(this.#url, undefined, this.#opts.tls)
        this.#link = link
        this.#attach(link)
        this.#hooks.resumed(await resume(link, id))
        events.emit('reconnected', { resent: this.#unacked.resend(this.#wire) })
        return true
      } catch (e) {
        // A changed password or another key: retrying cannot help.
        if (e instanceof ChatError && (e.code === 'AUTH_FAILED' || e.code === 'BAD_KEY')) {
          this.#end(4001, e.message)
          return false
        }
      }
    }
    if (!this.#closing) this.#end(1006, 'could not reconnect')
    return false
  }

  /** Over for good: everything unacknowledged fails, the session is told. */
  #end(code: number, reason: string): void {
    if (this.#resender) clearInterval(this.#resender)
    this.#unacked.abandon(new ChatError('INTERNAL', `connection closed (${reason || code})`))
    this.#hooks.events.emit('closed', { code, reason })
  }
}
