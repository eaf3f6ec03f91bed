/**
 * @module The socket edge of every link: size cap, rate limit, one decode, verification, dispatch,
 * and the single place where a thrown ChatError becomes an ERROR frame (STYLE.md §2, §8).
 */

import { ChatError } from '../errors.ts'
import {
  decode,
  MAX_SERVER_TO_SERVER_BYTES,
  MAX_USER_TO_SERVER_BYTES,
  type ServerToServerFrame,
  type UserToServerFrame,
} from '../protocol/index.ts'
import { type ServerContext, sendError, track } from './context.ts'
import type { Link } from './link.ts'
import { scheduleRedial } from './mesh/dialer.ts'
import { establishPeer, peerClosed } from './mesh/peers.ts'
import { meshHandlers } from './mesh/router.ts'
import { verifyServerFrame } from './mesh/verify.ts'
import { detachUser } from './presence.ts'
import { seenKey } from './seen.ts'
import { userHandlers } from './users/router.ts'
import type { Verified } from './verified.ts'

const SERVER_FIRST = new Set(['SERVER_HELLO_JOIN', 'SERVER_HELLO_LINK', 'SERVER_ANNOUNCE'])
/** Frames that are never deduplicated: liveness, and hellos that legitimately repeat after a redial. */
const NOT_DEDUPED = new Set([
  'HEARTBEAT',
  'SERVER_HELLO_JOIN',
  'SERVER_HELLO_LINK',
  'SERVER_WELCOME',
  'ACK',
  'ERROR',
  'CTRL_CLOSE',
])
/** Frames queued on one link beyond which the peer is flooding us. */
const MAX_BACKLOG = { user: 2_000, server: 50_000 }

function byteLength(data: string | Buffer | ArrayBuffer | Uint8Array): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength
}

/** Entry point for every received WebSocket message, inbound or outbound link alike. */
export function onLinkMessage(
  ctx: ServerContext,
  link: Link,
  data: string | Buffer | ArrayBuffer | Uint8Array,
): void {
  if (link.closed) return
  link.lastSeen = Date.now()
  const isServer = link.kind === 'server'
  // A pending link may be a server saying hello; its hello is small, so the user cap applies.
  if (byteLength(data) > (isServer ? MAX_SERVER_TO_SERVER_BYTES : MAX_USER_TO_SERVER_BYTES)) {
    return link.close(1009, 'frame too large')
  }
  if (link.backlog > (isServer ? MAX_BACKLOG.server : MAX_BACKLOG.user))
    return link.close(1008, 'too many queued frames')
  if (!link.bucket.take()) {
    if (isServer) return ctx.log.warn(`${link.describe()} is over its rate; frame dropped`)
    if (link.rateNotified < Date.now() - 1_000) {
      link.rateNotified = Date.now()
      void sendError(ctx, link, 'RATE_LIMITED', 'too many frames; slow down')
    }
    return
  }
  const text = typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8')
  track(
    ctx,
    link.enqueue(() =>
      handle(ctx, link, text).catch((err: unknown) =>
        ctx.log.error(`unhandled error on ${link.describe()}: ${String(err)}`),
      ),
    ),
  )
}

async function handle(ctx: ServerContext, link: Link, text: string): Promise<void> {
  if (link.closed) return
  if (link.kind === 'server') return handleServer(ctx, link, text)
  const user = decode(text, 'userToServer')
  if (
    !user.ok &&
    link.kind === 'pending' &&
    user.error.code === 'UNKNOWN_TYPE' &&
    SERVER_FIRST.has(user.type ?? '')
  ) {
    link.becomeServer()
    return handleServer(ctx, link, text)
  }
  link.kind = 'user'
  if (!user.ok) {
    // Never answer an ERROR with an ERROR (PROTOCOL.md §4), even a malformed one.
    if (user.type !== 'ERROR') await sendError(ctx, link, user.error.code, user.error.detail)
    return
  }
  await dispatchUser(ctx, link, user.frame, user.rawPayload)
}

async function dispatchUser(
  ctx: ServerContext,
  link: Link,
  frame: UserToServerFrame,
  raw: Record<string, unknown>,
): Promise<void> {
  try {
    const handler = userHandlers[frame.type] as (
      f: UserToServerFrame,
      c: { ctx: ServerContext; link: Link; raw: Record<string, unknown> },
    ) => void | Promise<void>
    await handler(frame, { ctx, link, raw })
  } catch (err) {
    if (frame.type === 'ERROR') return
    if (err instanceof ChatError) return sendError(ctx, link, err.code, err.message)
    ctx.log.error(
      `${frame.type} on ${link.describe()} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    )
    await sendError(ctx, link, 'INTERNAL', 'internal error')
  }
}

async function handleServer(ctx: ServerContext, link: Link, text: string): Promise<void> {
  const d = decode(text, 'serverToServer')
  if (!d.ok) {
    // Logged and dropped, never answered: other implementations answer errors with errors.
    return ctx.log.warn(`dropped a frame from ${link.describe()}: ${d.error.code} ${d.error.detail}`)
  }
  const frame: ServerToServerFrame = d.frame
  if (!link.peerId && !SERVER_FIRST.has(frame.type) && !(frame.type === 'SERVER_WELCOME' && link.onWelcome)) {
    // Before a link is established only hellos count; an outbound link also accepts its peer's
    // first signed frame as the hello it did not send (another implementation).
    if (!(link.direction === 'out' && link.target?.expect === frame.from)) {
      return ctx.log.warn(`dropped ${frame.type} before hello on ${link.describe()}`)
    }
  }
  // Presence is taken only from the origin's own link (mesh/gossip.ts `direct`). A relayed copy
  // must not reach the seen cache either: processed first, it would make the origin's own copy a
  // "duplicate", and the user would never come online here.
  const peer = link.peerId ?? (link.direction === 'out' ? link.target?.expect : null)
  if ((frame.type === 'USER_ADVERTISE' || frame.type === 'USER_REMOVE') && peer !== frame.from) {
    return ctx.log.debug(`ignored a relayed ${frame.type} of ${frame.from} from ${link.describe()}`)
  }
  const dedupe = !NOT_DEDUPED.has(frame.type)
  const seen = dedupe ? seenKey(frame, d.rawPayload) : ''
  // In a full mesh each gossip frame arrives from its origin and again from every relaying peer:
  // (n − 1)² copies in all. A copy of a frame already verified and handled is dropped below as a
  // duplicate whatever its signature, so it is dropped before paying for the verification.
  if (dedupe && link.peerId && ctx.seen.has(seen)) {
    return ctx.log.debug(`dropped a duplicate ${frame.type} from ${frame.from}`)
  }
  const v = verifyServerFrame(ctx, link, frame, d.rawPayload)
  if (!v.ok) {
    ctx.log.warn(`refused a frame on ${link.describe()}: ${v.reason}`)
    return
  }
  if (
    !link.peerId &&
    link.direction === 'out' &&
    link.target?.expect === frame.from &&
    !SERVER_FIRST.has(frame.type)
  ) {
    await establishPeer(ctx, link, frame.from, { host: link.target.host, port: link.target.port })
  }
  // SERVER_DELIVER is time-bound (its freshness window), so the cache also refuses it below its horizon.
  const timeBound = frame.type === 'SERVER_DELIVER' ? frame.ts : undefined
  if (dedupe && !ctx.seen.add(seen, timeBound)) {
    return ctx.log.debug(`dropped a duplicate ${frame.type} from ${frame.from}`)
  }
  const run = async () => {
    try {
      const handler = meshHandlers[frame.type] as (
        f: Verified<ServerToServerFrame>,
        c: { ctx: ServerContext; link: Link; raw: Record<string, unknown>; text: string },
      ) => void | Promise<void>
      await handler(v.frame, { ctx, link, raw: d.rawPayload, text })
    } catch (err) {
      ctx.log.error(
        `${frame.type} from ${link.describe()} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      )
    }
  }
  if (frame.type !== 'SERVER_DELIVER') return run()
  // Deliveries from one sender to one user stay in order (file chunks, DMs), but other
  // conversations on this link do not wait for their signatures: a file transfer would otherwise
  // hold up every DM between the two servers (head-of-line blocking). Past the lane cap the
  // link's own queue waits again, so a flooding peer is still held back.
  const done = link.lane(`${frame.payload.sender}|${frame.payload.user_id}`, run)
  track(ctx, done)
  if (link.lanesFull) await done
}

/** A link closed, for whatever reason: unbind its user or mourn its server. */
export function onLinkClosed(ctx: ServerContext, link: Link): void {
  link.closed = true
  for (const t of link.timers) clearTimeout(t)
  ctx.links.delete(link)
  link.onClosed?.()
  // On shutdown the peers notice the closed links themselves; the store is about to close.
  if (ctx.stopping) return
  const done = (p: Promise<void>) =>
    track(
      ctx,
      p.catch((e: unknown) => ctx.log.error(`cleanup after ${link.describe()}: ${String(e)}`)),
    )
  if (link.kind === 'user') void done(detachUser(ctx, link))
  else if (link.kind === 'server' && link.peerId) void done(peerClosed(ctx, link))
  else if (link.target?.expect) scheduleRedial(ctx, link.target.expect)
}
