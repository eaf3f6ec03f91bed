/**
 * @module The socket edge of every link: size cap, backlog cap, rate limit, the first frame that
 * decides a link's role, and — for user links — one decode, dispatch, and the single place where a
 * thrown ChatError becomes an ERROR frame (STYLE.md §2, §8). Server links go to mesh/inbound.ts.
 */

import { ChatError, type ErrorCode } from '../errors.ts'
import {
  decode,
  deliveryRef,
  MAX_SERVER_TO_SERVER_BYTES,
  MAX_USER_TO_SERVER_BYTES,
  type UserToServerFrame,
} from '../protocol/index.ts'
import { detachUser } from './announce.ts'
import type { LinkEvents, ServerContext } from './context.ts'
import type { Link } from './link.ts'
import { scheduleRedial } from './mesh/dialer.ts'
import { peerClosed } from './mesh/establish.ts'
import { onServerText, SERVER_FIRST } from './mesh/inbound.ts'
import type { UserCall } from './users/_types.ts'
import { userHandlers } from './users/router.ts'

/** Frames queued on one link beyond which the peer is flooding us. */
const MAX_BACKLOG = { user: 2_000, server: 50_000 }

function byteLength(data: string | Buffer | ArrayBuffer | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
}

/** The edge's entry points for `ctx`, given to Bun.serve and to outbound dials. */
export function linkEvents(ctx: () => ServerContext): LinkEvents {
  return {
    message: (link, data) => onLinkMessage(ctx(), link, data),
    closed: (link) => onLinkClosed(ctx(), link),
  }
}

/** Whether a frame dropped for its rate says it is an ERROR, so no notice answers it. */
function isErrorFrame(data: string | Buffer | ArrayBuffer | Uint8Array): boolean {
  const text = typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8')
  try {
    const v: unknown = JSON.parse(text)
    if (typeof v === 'object' && v !== null && 'type' in v && v.type === 'ERROR') return true
  } catch {
    // Too broken to parse: judged by what it says below.
  }
  return namesItselfError(text)
}

/** Entry point for every received WebSocket message, inbound or outbound link alike. */
export function onLinkMessage(
  ctx: ServerContext,
  link: Link,
  data: string | Buffer | ArrayBuffer | Uint8Array,
): void {
  if (link.closed) return
  link.lastSeen = Date.now()
  // A server link counts once authenticated (mesh/handshake.ts); until then user caps apply. A
  // link we dialed went to an address we trust, and its WELCOME may be large.
  const isServer = link.kind === 'server' && (link.authed || link.direction === 'out')
  if (byteLength(data) > (isServer ? MAX_SERVER_TO_SERVER_BYTES : MAX_USER_TO_SERVER_BYTES)) {
    return link.close(1009, 'frame too large')
  }
  if (link.backlog > (isServer ? MAX_BACKLOG.server : MAX_BACKLOG.user))
    return link.close(1008, 'too many queued frames')
  if (!link.bucket.take()) {
    if (link.kind === 'server')
      return ctx.logs.warn(`rate|${link.id}`, `${link.describe()} is over its rate; frame dropped`)
    if (link.rateNotified < Date.now() - 1_000) {
      link.rateNotified = Date.now()
      // Never an ERROR in reply to an ERROR (PROTOCOL.md §4), even to one dropped for its rate. At
      // most one frame a second is read this far, so its type costs one parse a second at most.
      if (!isErrorFrame(data)) void ctx.outbox.error(link, 'RATE_LIMITED', 'too many frames; slow down')
    }
    return
  }
  const text = typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8')
  ctx.work.track(
    link.enqueue(() =>
      handle(ctx, link, text).catch((err: unknown) =>
        ctx.log.error(`unhandled error on ${link.describe()}: ${String(err)}`),
      ),
    ),
  )
}

async function handle(ctx: ServerContext, link: Link, text: string): Promise<void> {
  if (link.closed) return
  if (link.kind === 'server') return onServerText(ctx, link, text)
  const d = decode(text, 'userToServer')
  if (!d.ok && link.kind === 'pending' && d.error.code === 'UNKNOWN_TYPE' && SERVER_FIRST.has(d.type ?? '')) {
    link.becomeServer()
    return onServerText(ctx, link, text)
  }
  const role = link.becomeUser()
  if (!role) return
  if (!d.ok) {
    // Never answer an ERROR with an ERROR (PROTOCOL.md §4), even a malformed or truncated one.
    if (d.type !== 'ERROR' && !namesItselfError(text))
      await ctx.outbox.error(link, d.error.code, d.error.detail)
    return
  }
  await dispatchUser({ ctx, link, login: role.login, acks: role.acks, raw: d.rawPayload }, d.frame)
}

async function dispatchUser(call: UserCall, frame: UserToServerFrame): Promise<void> {
  const { ctx, link } = call
  try {
    const handler = userHandlers[frame.type] as (f: UserToServerFrame, c: UserCall) => void | Promise<void>
    await handler(frame, call)
  } catch (err) {
    if (frame.type === 'ERROR') return
    // A refused DM or file frame names itself, so the client knows which send failed (docs/wire.md §11).
    const ref = deliveryRef(frame)
    const refuse = (code: ErrorCode, detail: string) =>
      ctx.outbox.send(link, 'ERROR', '', { code, detail, ...(ref !== null && { msg_ref: ref }) })
    if (err instanceof ChatError) return refuse(err.code, err.message)
    ctx.log.error(
      `${frame.type} on ${link.describe()} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    )
    await refuse('INTERNAL', 'internal error')
  }
}

/**
 * A frame too broken to parse that still names itself an ERROR (`{"type":"ERROR",` cut short, its
 * type spelled with escapes, behind any amount of white space): a peer answering our ERRORs with
 * broken ones must not start a loop either.
 */
function namesItselfError(text: string): boolean {
  // Escapes undone (`"t\u0079pe"`, `"\u0045RROR"`), any `"type": "ERROR"` in the first 4 KiB counts:
  // a broken frame that merely might be an ERROR goes unanswered, which costs nobody anything.
  const head = text
    .slice(0, 4096)
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
  return /"type"\s*:\s*"ERROR"/.test(head)
}

/** A link closed, for whatever reason: unbind its user or mourn its server. */
export function onLinkClosed(ctx: ServerContext, link: Link): void {
  link.closed = true
  for (const t of link.timers) clearTimeout(t)
  link.user?.acks.dispose()
  ctx.peers.forget(link)
  link.onClosed?.()
  // On shutdown the peers notice the closed links themselves; the store is about to close.
  if (ctx.work.stopping) return
  const done = (p: Promise<void>) =>
    ctx.work.track(p.catch((e: unknown) => ctx.log.error(`cleanup after ${link.describe()}: ${String(e)}`)))
  const role = link.role
  if (role.kind === 'user') done(detachUser(ctx, link))
  else if (role.kind === 'server' && role.peerId) done(peerClosed(ctx, link))
  else if (role.kind === 'server' && role.target?.expect && !role.target.probe)
    scheduleRedial(ctx, role.target.expect)
}
