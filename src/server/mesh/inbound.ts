/**
 * @module Mesh admission: the ordered gates every frame on a server link passes before its handler
 * runs — decode, link authentication (mesh/handshake.ts), `from` = the link's server, the origin's
 * gossip budget, duplicate before verification, signature, establishment, the seen cache — then
 * dispatch, with per-conversation lanes for deliveries (PROTOCOL.md §3.1, §4).
 */

import { decode, type ServerToServerFrame } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import { spkiOrNull } from '../keys.ts'
import type { Link, ServerRole } from '../link.ts'
import { seenKey } from '../seen.ts'
import type { Verified } from '../verified.ts'
import type { MeshCall, MeshType } from './_types.ts'
import { establishPeer } from './establish.ts'
import { handshake } from './handshake.ts'
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
  'SERVER_CHALLENGE',
  'SERVER_PROOF',
  'ACK',
  'ERROR',
  'CTRL_CLOSE',
])
/** Frames that never count as an outbound link's hello (issue 16 B: an ERROR proves nothing). */
const NEVER_A_HELLO: ReadonlySet<MeshType> = new Set<MeshType>(['ERROR', 'HEARTBEAT', 'ACK', 'CTRL_CLOSE'])

/** Handles one text frame received on a server link. Never answers: peers answer errors with errors. */
export async function onServerText(ctx: ServerContext, link: Link, text: string): Promise<void> {
  const role = link.server
  if (!role) return
  const d = decode(text, 'serverToServer')
  if (!d.ok)
    return ctx.logs.warn(
      `decode|${link.id}`,
      `dropped a frame from ${link.describe()}: ${d.error.code} ${d.error.detail}`,
    )
  if (!link.authed) {
    const go = await handshake(ctx, link, role, d.frame, d.rawPayload, () => admit(ctx, link, role, d, text))
    if (go === 'consumed') return
  }
  return admit(ctx, link, role, d, text)
}

type Decoded = { frame: ServerToServerFrame; rawPayload: Record<string, unknown> }

async function admit(ctx: ServerContext, link: Link, role: ServerRole, d: Decoded, text: string) {
  const frame = d.frame
  // Every frame on an authenticated link comes from the server that proved itself on it: nothing
  // is relayed between servers (PROTOCOL.md §4), so a stranger's frame here is a replay.
  const origin = role.peerId ?? (role.auth.stage === 'done' ? role.auth.peer : null)
  // A join asks for an id; the link is the one it was given (Admission.idForJoin), whatever it asked.
  const joining = frame.type === 'SERVER_HELLO_JOIN' && !role.peerId && origin !== null
  if (frame.from !== origin && !joining)
    return ctx.logs.warn(`from|${link.id}`, `dropped ${frame.type} from ${frame.from} on ${link.describe()}`)
  // A hello on a link speaks for the key proved on it, never for another (a replayed one).
  if (!sameKey(role, frame))
    return ctx.logs.warn(`key|${link.id}`, `dropped ${frame.type} with another key on ${link.describe()}`)
  if (frame.type === 'SERVER_CHALLENGE' || frame.type === 'SERVER_PROOF') return
  const expected = link.direction === 'out' ? (role.target?.expect ?? null) : null
  if (!role.peerId && !SERVER_FIRST.has(frame.type) && !(frame.type === 'SERVER_WELCOME' && role.onWelcome)) {
    // Before a link is established only hellos count; an outbound link to another implementation
    // also takes its peer's first signed frame — never an ERROR — as the hello it did not send.
    if (expected !== frame.from || NEVER_A_HELLO.has(frame.type))
      return ctx.logs.warn(`prehello|${link.id}`, `dropped ${frame.type} before hello on ${link.describe()}`)
  }
  if (!(await ctx.quota.gossip(frame.from, frame.type, text.length)))
    return ctx.logs.warn(
      `budget|${frame.from}`,
      `dropped ${frame.type} from ${frame.from}: over its gossip budget`,
    )
  const dedupe = !NOT_DEDUPED.has(frame.type)
  const seen = dedupe ? seenKey(frame, d.rawPayload) : ''
  // A replayed copy of a frame already verified and handled is dropped before paying for its
  // verification; the key covers the whole signed frame, `sig` included.
  if (dedupe && role.peerId && ctx.seen.has(seen))
    return ctx.logs.debug(`dup|${link.id}`, `dropped a duplicate ${frame.type} from ${frame.from}`)
  const v = verifyServerFrame(ctx, link, frame, d.rawPayload)
  if (!v.ok) return ctx.logs.warn(`verify|${link.id}`, `refused a frame on ${link.describe()}: ${v.reason}`)
  if (!role.peerId && role.target && expected === frame.from && !SERVER_FIRST.has(frame.type)) {
    await establishPeer(ctx, link, frame.from, { host: role.target.host, port: role.target.port })
  }
  // SERVER_DELIVER is time-bound (its freshness window), so the cache also refuses it below its horizon.
  const timeBound = frame.type === 'SERVER_DELIVER' ? frame.ts : undefined
  if (dedupe && !ctx.seen.add(seen, timeBound))
    return ctx.logs.debug(`dup|${link.id}`, `dropped a duplicate ${frame.type} from ${frame.from}`)
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

/** True unless `frame` carries a key other than the one proved on its authenticated link. */
function sameKey(role: ServerRole, frame: ServerToServerFrame): boolean {
  if (role.auth.stage !== 'done') return true
  const t = frame.type
  if (
    t !== 'SERVER_HELLO_JOIN' &&
    t !== 'SERVER_HELLO_LINK' &&
    t !== 'SERVER_ANNOUNCE' &&
    t !== 'SERVER_WELCOME'
  )
    return true
  const carried = frame.payload.pubkey
  if (carried === undefined || carried === null) return true
  const a = spkiOrNull(carried)
  return a !== null && a === spkiOrNull(role.auth.key)
}

async function dispatch(frame: Verified<ServerToServerFrame>, call: MeshCall): Promise<void> {
  try {
    const handler = meshHandlers[frame.type] as (
      f: Verified<ServerToServerFrame>,
      c: MeshCall,
    ) => void | Promise<void>
    await handler(frame, call)
  } catch (err) {
    // A link whose hello failed half-way is in no known state: it never counts (issue 10).
    if (!call.link.peerId) call.link.close(4003, 'hello failed')
    call.ctx.log.error(
      `${frame.type} from ${call.link.describe()} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    )
  }
}
