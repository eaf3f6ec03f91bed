/**
 * @module What the client does with each frame its server sends after login: one handler per
 * type, checked for completeness by the compiler (STYLE.md §3). Content is verified against the
 * directory key of its sender, never a key the frame carries, before it is decrypted.
 */

import { createHash } from 'node:crypto'
import { b64uDecodeCanonical, type PrivateKey } from '../crypto/index.ts'
import type { Handlers, ListedUser, ServerToClientFrame } from '../protocol/index.ts'
import type { ClientStore } from '../store/index.ts'
import type { FileLimits } from './_files.ts'
import type { Contacts, TrustedSender } from './contacts.ts'
import type { Emitter, SessionEvents } from './events.ts'
import { type AcceptFiles, IncomingFiles } from './files-in.ts'
import { openDirect, openPublic, Rejected } from './messages.ts'

/** What the handlers need from the Session. */
export type InboxContext = {
  readonly me: string
  readonly key: PrivateKey
  readonly files: IncomingFiles
  readonly events: Emitter<SessionEvents>
  readonly contacts: Pick<Contacts, 'learn' | 'forget' | 'applyList' | 'messaged'>
  /** The trusted key and name of a sender, or why there is none. */
  senderKey(userId: string, senderPub: string): Promise<TrustedSender | string>
  /** True when this content signature was shown before (the client store's replay cache). */
  replayed(contentSig: string): boolean
  /** Tells our server the kept frames it handed over up to `upto` were handled (docs/wire.md §13). */
  confirmKept(upto: number): void
}

/**
 * The replay key of a content signature: SHA-256 of its decoded bytes, never its text, so no
 * second spelling of one signature passes as new (issue 15 §6). Verified signatures are canonical.
 */
export function replayKey(contentSig: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b64uDecodeCanonical(contentSig)).digest())
}

const ignore = () => {}

const listed = (u: ListedUser) => ({
  userId: u.user_id,
  username: u.username,
  serverId: u.server_id,
  pubkey: u.pubkey,
})

function dropped(ctx: InboxContext, what: string, from: string, why: string): void {
  ctx.events.emit('error', { code: 'INVALID_SIG', detail: `dropped a ${what} from ${from}: ${why}` })
}

export const inboxHandlers = {
  // Answers to our own requests are taken by the link's waiters; late ones need nothing.
  AUTH_CHALLENGE: ignore,
  AUTH_OK: ignore,
  USER_ENTRY: ignore,
  // Frames are handled in order, so every kept frame before this marker has been (docs/wire.md §13).
  ACK: (f, ctx) => {
    if (f.payload.msg_ref === 'KEPT' && f.payload.upto !== undefined) ctx.confirmKept(f.payload.upto)
  },
  // The server pushes the online list right after USER_HELLO's ACK; a later one answers a LIST
  // that a waiter did not take. Either way it is the current truth.
  // A page with a `next` is partial: learn it, but only a whole list says who is offline.
  USER_LIST: (f, ctx) => {
    if (f.payload.next === undefined) return void ctx.contacts.applyList(f.payload.users)
    for (const u of f.payload.users) ctx.contacts.learn(listed(u), false)
  },
  // One batch of presence changes (docs/wire.md §14), signed once by our server for many users.
  USER_PRESENCE: (f, ctx) => {
    for (const u of f.payload.online) ctx.contacts.learn(listed(u), true)
    for (const u of f.payload.offline) ctx.contacts.forget(u.user_id, u.server_id)
  },
  // A server's batch of its own users, passed on unchanged by ours (docs/wire.md §14).
  PRESENCE_BATCH: (f, ctx) => {
    const serverId = f.payload.server_id
    for (const u of f.payload.online) ctx.contacts.learn(listed({ ...u, server_id: serverId }), true)
    for (const userId of f.payload.offline) ctx.contacts.forget(userId, serverId)
  },
  // A LOOKUP answer its waiter did not take (it timed out): still true.
  USER_INFO: (f, ctx) => ctx.contacts.learn(listed(f.payload), false),
  // Group-key bookkeeping exists for spec conformance; /all never relies on it (PROTOCOL.md §5).
  PUBLIC_CHANNEL_ADD: ignore,
  PUBLIC_CHANNEL_UPDATED: ignore,
  CTRL_CLOSE: ignore,

  // LOGGED_IN_ELSEWHERE is followed by the close that ends the session; the `closed` event says it.
  ERROR: (f, ctx) =>
    f.payload.code === 'LOGGED_IN_ELSEWHERE'
      ? undefined
      : ctx.events.emit('error', { code: f.payload.code, detail: f.payload.detail }),

  USER_ADVERTISE: (f, ctx) => {
    const p = f.payload
    ctx.contacts.learn(
      { userId: p.user_id, username: p.display_name ?? p.user_id, serverId: p.server_id, pubkey: p.pubkey },
      true,
    )
  },

  USER_REMOVE: (f, ctx) => ctx.contacts.forget(f.payload.user_id, f.payload.server_id),

  USER_DELIVER: async (f, ctx) => {
    const p = f.payload
    if (f.to !== ctx.me) return
    const sender = await ctx.senderKey(p.sender, p.sender_pub)
    if (typeof sender === 'string') return dropped(ctx, 'direct message', p.sender, sender)
    // PROTOCOL.md §3.2: from = the sending user, to = us, ts = the original user ts.
    const m = { ciphertext: p.ciphertext, content_sig: p.content_sig, from: p.sender, to: ctx.me, ts: f.ts }
    try {
      const text = await openDirect(ctx.key, sender.key, m)
      if (ctx.replayed(p.content_sig)) return
      ctx.contacts.messaged(p.sender)
      const unverified = sender.unverified
      ctx.events.emit('dm', {
        from: p.sender,
        fromName: sender.name,
        text,
        ts: f.ts,
        ...(unverified && { unverified }),
      })
    } catch (e) {
      if (!(e instanceof Rejected)) throw e
      dropped(ctx, 'direct message', sender.name, e.message)
    }
  },

  MSG_PUBLIC_CHANNEL: async (f, ctx) => {
    const p = f.payload
    if (p.sender === ctx.me || f.from !== p.sender) return
    if (!p.items.some((i) => i.member_id === ctx.me)) return
    const sender = await ctx.senderKey(p.sender, p.sender_pub)
    if (typeof sender === 'string') return dropped(ctx, 'public message', p.sender, sender)
    try {
      const text = await openPublic(ctx.key, sender.key, ctx.me, { items: p.items, from: p.sender, ts: f.ts })
      const mine = p.items.find((i) => i.member_id === ctx.me)
      if (text === null || !mine || ctx.replayed(mine.content_sig)) return
      const unverified = sender.unverified
      ctx.events.emit('public', {
        from: p.sender,
        fromName: sender.name,
        text,
        ts: f.ts,
        ...(unverified && { unverified }),
      })
    } catch (e) {
      if (!(e instanceof Rejected)) throw e
      dropped(ctx, 'public message', sender.name, e.message)
    }
  },

  FILE_START: (f, ctx) => ctx.files.start(f),
  FILE_CHUNK: (f, ctx) => ctx.files.chunk(f),
  FILE_END: (f, ctx) => ctx.files.end(f),
} satisfies Handlers<ServerToClientFrame, InboxContext>

/** The inbox of a freshly logged-in user: its file reassembler and its store's replay cache. */
export function createInbox(o: {
  me: string
  key: PrivateKey
  events: Emitter<SessionEvents>
  contacts: InboxContext['contacts']
  store: ClientStore
  senderKey: InboxContext['senderKey']
  downloadsDir: string
  limits: Partial<FileLimits> | undefined
  acceptFiles: AcceptFiles
  confirmKept: InboxContext['confirmKept']
}): InboxContext {
  const { me, key, events, senderKey, store } = o
  const files = new IncomingFiles({
    me,
    key,
    events,
    senderKey,
    downloadsDir: o.downloadsDir,
    acceptFiles: o.acceptFiles,
    ...(o.limits && { limits: o.limits }),
  })
  const replayed = (sig: string) => store.replayed(replayKey(sig))
  return { me, key, events, senderKey, files, contacts: o.contacts, replayed, confirmKept: o.confirmKept }
}

/**
 * Frames in, handled one at a time in arrival order: a DM never overtakes the advertise of its
 * sender, and file frames reach the reassembler in order. Frames that come before the session is
 * bound (the USER_LIST right behind the ACK) wait, bounded, until `start`.
 */
export class FrameQueue {
  #ctx: InboxContext | null = null
  #tail: Promise<void> = Promise.resolve()
  readonly #early: ServerToClientFrame[] = []
  readonly #onError: (f: ServerToClientFrame, e: unknown) => void

  constructor(onError: (f: ServerToClientFrame, e: unknown) => void) {
    this.#onError = onError
  }

  push(f: ServerToClientFrame): void {
    const ctx = this.#ctx
    if (!ctx) {
      if (this.#early.length < 10_000) this.#early.push(f)
      return
    }
    this.#tail = this.#tail.then(() => dispatch(f, ctx)).catch((e) => this.#onError(f, e))
  }

  start(ctx: InboxContext): void {
    this.#ctx = ctx
    for (const f of this.#early.splice(0)) this.push(f)
  }

  /** Resolves once every frame received so far has been handled. */
  idle(): Promise<void> {
    return this.#tail
  }
}

/** Runs the handler for one frame. */
export function dispatch(f: ServerToClientFrame, ctx: InboxContext): void | Promise<void> {
  const handler = inboxHandlers[f.type] as (f: ServerToClientFrame, ctx: InboxContext) => void | Promise<void>
  return handler(f, ctx)
}
