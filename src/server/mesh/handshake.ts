/**
 * @module Link authentication (PROTOCOL.md §4 "A link is authenticated before it counts", docs/wire.md
 * §10). A hello's `sig` covers only {host, port, pubkey} and replays under any `from`, so the
 * accepting side answers a hello with a fresh nonce (SERVER_CHALLENGE, unsigned: a fake hello costs
 * us no RSA signature), the dialer proves its key over (nonce, its id, our id) and sends its own
 * nonce, and the acceptor proves its key in return. Until then the link is pending: user budgets,
 * the hello timeout, and its hello is held — nothing it says is pinned, stored, relayed or dialed.
 */

import { randomBytes } from 'node:crypto'
import { importPublicKey, verifyPayload } from '../../crypto/index.ts'
import { LINK_AUTH, type ServerToServerFrame } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import { serverIdFor } from '../keys.ts'
import type { Link, ServerRole } from '../link.ts'
import { probeAnswered } from './confirm.ts'
import { operatorPinHolds, verifyServerFrame } from './verify.ts'

/** What the caller does with the frame: it was consumed here, or it goes on through admission. */
export type Outcome = 'consumed' | 'admit'

/** Frames that never authenticate a link, not even a legacy one (issue 16 B: an ERROR is no hello). */
const NEVER_A_HELLO: ReadonlySet<string> = new Set(['ERROR', 'HEARTBEAT', 'ACK', 'CTRL_CLOSE'])
const HELLOS: ReadonlySet<string> = new Set(['SERVER_HELLO_JOIN', 'SERVER_HELLO_LINK', 'SERVER_ANNOUNCE'])

const nonce = () => randomBytes(32).toString('base64url')

function refuse(ctx: ServerContext, link: Link, why: string): Outcome {
  ctx.logs.warn(`handshake|${link.id}`, `refused server link ${link.describe()}: ${why}`)
  link.close(4003, why.slice(0, 100))
  return 'consumed'
}

function proofOk(
  ctx: ServerContext,
  f: Extract<ServerToServerFrame, { type: 'SERVER_PROOF' }>,
  raw: Record<string, unknown>,
  expected: { nonce: string; prover: string; key: string },
): boolean {
  const p = f.payload
  // The acceptor names the id our link has there: ours, or — if we were made before ids came from
  // keys and joined — the one our key makes (Admission.idForJoin). Anything else was meant for a
  // link someone else opened in our name (a relay between us and the server we dialed).
  const us = p.peer_id === ctx.me.serverId || p.peer_id === serverIdFor(ctx.me.pubkey)
  if (p.nonce !== expected.nonce || p.server_id !== expected.prover || !us) return false
  try {
    return !!f.sig && verifyPayload(importPublicKey(expected.key), raw, f.sig, true)
  } catch {
    return false
  }
}

/**
 * Runs one frame of a server link that is not authenticated yet. `hello` carries the frame on
 * through admission; for the acceptor it runs only once the dialer's proof verified.
 */
export async function handshake(
  ctx: ServerContext,
  link: Link,
  role: ServerRole,
  f: ServerToServerFrame,
  raw: Record<string, unknown>,
  hello: () => Promise<void>,
): Promise<Outcome> {
  return link.direction === 'in' ? accept(ctx, link, role, f, raw, hello) : dialed(ctx, link, role, f, raw)
}

async function accept(
  ctx: ServerContext,
  link: Link,
  role: ServerRole,
  f: ServerToServerFrame,
  raw: Record<string, unknown>,
  hello: () => Promise<void>,
): Promise<Outcome> {
  const auth = role.auth
  if (auth.stage === 'new') {
    if (f.type !== 'SERVER_HELLO_JOIN' && f.type !== 'SERVER_HELLO_LINK' && f.type !== 'SERVER_ANNOUNCE')
      return refuse(ctx, link, `${f.type} before a hello`)
    const v = verifyServerFrame(ctx, link, f, raw)
    if (!v.ok) return refuse(ctx, link, v.reason)
    // Refused before we sign anything: a server new to us links only under the id its key makes.
    const fresh = f.type !== 'SERVER_HELLO_JOIN' && !ctx.store.servers.get(f.from)
    if (fresh && f.payload.auth === LINK_AUTH && f.from !== serverIdFor(v.key.spki))
      return refuse(ctx, link, `${f.from} is not the id its key makes`)
    if (f.payload.auth !== LINK_AUTH) {
      if (!ctx.allowLegacyPeers) return refuse(ctx, link, 'no link authentication (see --allow-legacy-peers)')
      if (ctx.admission.closed) return refuse(ctx, link, 'no link authentication, so no join secret')
      ctx.log.warn(
        `accepted server ${f.from} (${link.remote}) WITHOUT link authentication (--allow-legacy-peers)`,
      )
      link.authenticate(linkId(ctx, f, v.key.spki, true), true, f.payload.pubkey)
      return 'admit'
    }
    const n = nonce()
    role.auth = {
      stage: 'challenged',
      nonce: n,
      prover: f.from,
      id: linkId(ctx, f, v.key.spki, false),
      hello: { key: f.payload.pubkey, run: hello },
    }
    link.send(
      ctx.outbox.unsigned('SERVER_CHALLENGE', f.from, {
        nonce: n,
        server_id: ctx.me.serverId,
        pubkey: ctx.me.pubkey,
      }),
    )
    return 'consumed'
  }
  if (auth.stage !== 'challenged') return 'consumed'
  if (f.type !== 'SERVER_PROOF') return refuse(ctx, link, `${f.type} instead of SERVER_PROOF`)
  if (!proofOk(ctx, f, raw, { nonce: auth.nonce, prover: auth.prover, key: auth.hello.key }))
    return refuse(ctx, link, `bad SERVER_PROOF for ${auth.prover}`)
  if (!ctx.admission.macOk(f.payload.admit, auth.nonce, auth.prover, ctx.me.serverId))
    return refuse(ctx, link, `${auth.prover} did not prove the join secret`)
  const theirs = f.payload.challenge
  if (!theirs) return refuse(ctx, link, 'SERVER_PROOF without a challenge for us')
  link.authenticate(auth.id, false, auth.hello.key)
  const admit = ctx.admission.mac(theirs, ctx.me.serverId, auth.prover)
  await ctx.outbox.send(link, 'SERVER_PROOF', auth.prover, {
    nonce: theirs,
    server_id: ctx.me.serverId,
    // Whose link this is here (a joiner's given id), not merely whom the dialer said it was.
    peer_id: auth.id,
    ...(admit && { admit }),
  })
  await auth.hello.run()
  return 'consumed'
}

async function dialed(
  ctx: ServerContext,
  link: Link,
  role: ServerRole,
  f: ServerToServerFrame,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const auth = role.auth
  const expect = role.target?.expect ?? null
  if (auth.stage === 'new' && f.type === 'SERVER_CHALLENGE') {
    const p = f.payload
    if (expect && p.server_id !== expect) return refuse(ctx, link, `${p.server_id} answered for ${expect}`)
    const pinned = ctx.store.servers.get(p.server_id)
    let key: ReturnType<typeof importPublicKey>
    try {
      key = importPublicKey(p.pubkey)
    } catch {
      return refuse(ctx, link, 'challenge with an unusable key')
    }
    if (pinned && pinned.pubkey !== key.spki)
      return refuse(ctx, link, `another key for pinned ${p.server_id}`)
    // An introducer the operator pinned (`--peer …#sha256:`) is refused before we prove anything to it.
    if (!operatorPinHolds(ctx, link, key)) return 'consumed'
    const mine = nonce()
    role.auth = { stage: 'proving', nonce: mine, peer: p.server_id, key: p.pubkey }
    const admit = ctx.admission.mac(p.nonce, ctx.me.serverId, p.server_id)
    await ctx.outbox.send(link, 'SERVER_PROOF', p.server_id, {
      nonce: p.nonce,
      server_id: ctx.me.serverId,
      peer_id: p.server_id,
      challenge: mine,
      ...(admit && { admit }),
    })
    return 'consumed'
  }
  if (auth.stage === 'proving') {
    if (f.type !== 'SERVER_PROOF') return refuse(ctx, link, `${f.type} instead of SERVER_PROOF`)
    if (!proofOk(ctx, f, raw, { nonce: auth.nonce, prover: auth.peer, key: auth.key }))
      return refuse(ctx, link, `bad SERVER_PROOF for ${auth.peer}`)
    // Both ways: in a closed mesh a joiner does not take a stranger's word (or list) either.
    if (!ctx.admission.macOk(f.payload.admit, auth.nonce, auth.peer, ctx.me.serverId))
      return refuse(ctx, link, `${auth.peer} did not prove the join secret`)
    link.authenticate(auth.peer, false, auth.key)
    if (role.target?.probe) probeAnswered(ctx, link, auth.peer)
    return 'consumed'
  }
  // No challenge came: another implementation answering our hello directly.
  if (NEVER_A_HELLO.has(f.type)) {
    ctx.logs.warn(`prehello|${link.id}`, `${f.type} from ${link.describe()} before it authenticated; ignored`)
    return 'consumed'
  }
  if (!ctx.allowLegacyPeers) return refuse(ctx, link, `${f.type} without link authentication`)
  if (expect && f.from !== expect) return refuse(ctx, link, `${f.from} answered for ${expect}`)
  if (!HELLOS.has(f.type) && f.type !== 'SERVER_WELCOME' && !expect)
    return refuse(ctx, link, `${f.type} before a welcome`)
  const v = verifyServerFrame(ctx, link, f, raw)
  if (!v.ok) return refuse(ctx, link, v.reason)
  ctx.log.warn(
    `linked to server ${f.from} (${link.remote}) WITHOUT link authentication (--allow-legacy-peers)`,
  )
  link.authenticate(f.from, true, v.key.spki)
  return 'admit'
}

/**
 * Whose link this is once the hello's sender proved its key: the sender for a link or an announce
 * (whose id must already be its key's, admission.ts), the id it is given for a join — never simply
 * the `from` a join asked for, which may be another server's.
 */
function linkId(
  ctx: ServerContext,
  f: Extract<ServerToServerFrame, { type: 'SERVER_HELLO_JOIN' | 'SERVER_HELLO_LINK' | 'SERVER_ANNOUNCE' }>,
  spki: string,
  legacy: boolean,
): string {
  if (f.type !== 'SERVER_HELLO_JOIN') return f.from
  return ctx.admission.idForJoin(f.from, spki, legacy, ctx.me.serverId)
}
