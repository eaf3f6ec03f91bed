/**
 * @module Mesh admission: the ordered gates every frame on a server link passes before its handler
 * runs — decode, hello first, presence only from its origin, duplicate before verification,
 * signature, establishment by first signed frame, the seen cache — then dispatch, with per-
 * conversation lanes for deliveries (PROTOCOL.md §3.1, §4).
 */

import { decode, type ServerToServerFrame } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'
import { Presence } from '../presence.ts'
import { seenKey } from '../seen.ts'
import type { Verified } from '../verified.ts'
import type { MeshCall, MeshType } from './_types.ts'
import { establishPeer } from './establish.ts'
import { meshHandlers } from './router.ts'
import { verifyServerFrame } from './verify.ts'

/** The frames that may open a server link (PROTOCOL.md §1). */
export const SERVER_FIRST: ReadonlySet<string> = new Set<MeshType>([
  'SERVER_HELLO_JOIN',
  'SERVER_HELLO_LINK',
  'SERVER_ANNOUNCE',
])
/** Frames that are never deduplicated: liveness, and hellos that legitimately repeat after a redial. */
const NOT_DEDUPED: ReadonlySet<MeshType> = new Set<MeshType>([
  'HEARTBEAT',
  'SERVER_HELLO_JOIN',
  'SERVER_HELLO_LINK',
  'SERVER_WELCOME',
  'ACK',
  'ERROR',
  'CTRL_CLOSE',
])

/** Handles one text frame received on a server link. Never answers: peers answer errors with errors. */
export async function onServerText(ctx: ServerContext, link: Link, text: string): Promise<void> {
  const role = link.server
  if (!role) return
  const d = decode(text, 'serverToServer')
  if (!d.ok) return ctx.log.warn(`dropped a frame from ${link.describe()}: ${d.error.code} ${d.error.detail}`)
  const frame: ServerToServerFrame = d.frame
  const expected = link.direction === 'out' ? (role.target?.expect ?? null) : null
  if (!role.peerId && !SERVER_FIRST.has(frame.type) && !(frame.type === 'SERVER_WELCOME' && role.onWelcome)) {
    // Before a link is established only hellos count; an outbound link also accepts its peer's
    // first signed frame as the hello it did not send (another implementation).
    if (expected !== frame.from)
      return ctx.log.warn(`dropped ${frame.type} before hello on ${link.describe()}`)
  }
  // A relayed copy of presence must not reach the seen cache either: processed first, it would
  // make the origin's own copy a "duplicate", and the user would never come online here.
  if (
    (frame.type === 'USER_ADVERTISE' || frame.type === 'USER_REMOVE' || frame.type === 'PRESENCE_BATCH') &&
    !Presence.fromOrigin(frame.from, role.peerId ?? expected)
  ) {
    return ctx.log.debug(`ignored a relayed ${frame.type} of ${frame.from} from ${link.describe()}`)
  }
  const dedupe = !NOT_DEDUPED.has(frame.type)
  const seen = dedupe ? seenKey(frame, d.rawPayload) : ''
  // In a full mesh each gossip frame arrives from its origin and again from every relaying peer:
  // (n − 1)² copies in all. A copy of a frame already verified and handled is dropped below as a
  // duplicate whatever its signature, so it is dropped before paying for the verification.
  if (dedupe && role.peerId && ctx.seen.has(seen))
    return ctx.log.debug(`dropped a duplicate ${frame.type} from ${frame.from}`)
  const v = verifyServerFrame(ctx, link, frame, d.rawPayload)
  if (!v.ok) return ctx.log.warn(`refused a frame on ${link.describe()}: ${v.reason}`)
  if (!role.peerId && role.target && expected === frame.from && !SERVER_FIRST.has(frame.type)) {
    await establishPeer(ctx, link, frame.from, { host: role.target.host, port: role.target.port })
  }
  // SERVER_DELIVER is time-bound (its freshness window), so the cache also refuses it below its horizon.
  const timeBound = frame.type === 'SERVER_DELIVER' ? frame.ts : undefined
  if (dedupe && !ctx.seen.add(seen, timeBound))
    return ctx.log.debug(`dropped a duplicate ${frame.type} from ${frame.from}`)
  const call: MeshCall = { ctx, link, raw: d.rawPayload, text }
  const run = () => dispatch(v.frame, call)
  if (frame.type !== 'SERVER_DELIVER') return run()
  // Deliveries from one sender to one user stay in order (file chunks, DMs), but other
  // conversations on this link do not wait for their signatures: a file transfer would otherwise
  // hold up every DM between the two servers (head-of-line blocking). Past the lane cap the
  // link's own queue waits again, so a flooding peer is still held back.
  const done = link.lane(`${frame.payload.sender}|${frame.payload.user_id}`, run)
  ctx.work.track(done)
  if (link.lanesFull) await done
}

async function dispatch(frame: Verified<ServerToServerFrame>, call: MeshCall): Promise<void> {
  try {
    const handler = meshHandlers[frame.type] as (
      f: Verified<ServerToServerFrame>,
      c: MeshCall,
    ) => void | Promise<void>
    await handler(frame, call)
  } catch (err) {
    call.ctx.log.error(
      `${frame.type} from ${call.link.describe()} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    )
  }
}
