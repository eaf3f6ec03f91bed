/**
 * @module Outbound server links: join through an introducer, link to every server, and redial a
 * lost peer with exponential backoff and jitter (PROTOCOL.md §4 "Join", "Links", "Health").
 */

import { hostPort, openWebSocket, wsUrl } from '../../net/index.ts'
import { LINK_AUTH, PRESENCE_BATCH_CAP } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import { type Addr, type Link, USER_RATE } from '../link.ts'

const JOIN_TIMEOUT_MS = 5_000

/**
 * Opens a WebSocket to another server and sends `hello` as its first frame; null when the address
 * cannot be dialed at all (a bad URL must never throw out of a timer: PROTOCOL.md §4 "Addresses").
 * The link counts only once the other side proved its key (mesh/handshake.ts) within the hello
 * timeout; until then it has user budgets.
 */
export function dial(
  ctx: ServerContext,
  addr: Addr,
  expect: string | null,
  hello: () => Promise<string>,
  probe = false,
): Link | null {
  let ws: WebSocket
  try {
    ws = openWebSocket(wsUrl({ ...addr, tls: addr.tls ?? false }), ctx.dialTls)
  } catch (e) {
    ctx.logs.warn(`dial|${addr.host}`, `cannot dial ${hostPort(addr.host, addr.port)}: ${String(e)}`)
    return null
  }
  const link = ctx.peers.open(
    'out',
    hostPort(addr.host, addr.port),
    {
      send: (t) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(t)
      },
      close: (code, reason) => ws.close(code, reason),
      buffered: () => ws.bufferedAmount,
    },
    USER_RATE,
  )
  link.becomeServer({ ...addr, expect, ...(probe && { probe: true as const }) })
  link.timers.push(
    setTimeout(() => {
      if (!link.authed) link.close(1008, 'no link authentication')
    }, ctx.timing.helloTimeoutMs),
  )
  ws.addEventListener('open', () => {
    hello().then(
      (t) => ws.send(t),
      (e) => ctx.log.error(`could not sign hello: ${String(e)}`),
    )
  })
  ws.addEventListener('message', (ev) => ctx.events.message(link, ev.data as string | Buffer))
  // A WebSocket ping or pong is the peer alive, as any frame is (Bun has already answered a ping).
  const alive = () => {
    link.lastSeen = Date.now()
  }
  ws.addEventListener('ping', alive)
  ws.addEventListener('pong', alive)
  ws.addEventListener('close', () => {
    link.closed = true
    ctx.events.closed(link)
  })
  ws.addEventListener('error', () => {})
  return link
}

/** Beyond the spec, our servers speak batched presence with each other (docs/wire.md §14). */
export const MY_CAPS = [PRESENCE_BATCH_CAP]

/**
 * Our address payload: `auth: "v1"` (we answer SERVER_CHALLENGE, docs/wire.md §10), and `tls: true`
 * only under TLS.
 */
export function myAddress(ctx: ServerContext) {
  const { host, port, tls } = ctx.advertised
  return { host, port, pubkey: ctx.me.pubkey, auth: LINK_AUTH, ...(tls && { tls: true }) }
}

/** Our hellos (JOIN, LINK) add `caps`, which other implementations ignore (docs/wire.md §14). */
export function myHello(ctx: ServerContext) {
  return { ...myAddress(ctx), caps: MY_CAPS }
}

/** Dials a known server with SERVER_HELLO_LINK, unless a live link or a dial is already there. */
export function linkTo(ctx: ServerContext, serverId: string, addr: Addr): void {
  if (ctx.work.stopping || serverId === ctx.me.serverId || ctx.peers.has(serverId)) return
  dial(ctx, addr, serverId, () => ctx.outbox.frame('SERVER_HELLO_LINK', serverId, myHello(ctx)))
}

/** Tries each introducer in order until one answers SERVER_WELCOME; retries all with backoff. */
export async function joinMesh(
  ctx: ServerContext,
  introducers: readonly Addr[],
  attempt = 0,
): Promise<boolean> {
  for (const addr of introducers) {
    if (ctx.work.stopping) return false
    const ok = await new Promise<boolean>((resolve) => {
      const link = dial(ctx, addr, null, () =>
        ctx.outbox.frame('SERVER_HELLO_JOIN', hostPort(addr.host, addr.port), myHello(ctx)),
      )
      if (!link) return resolve(false)
      const role = link.becomeServer()
      const timer = setTimeout(() => settle(false), JOIN_TIMEOUT_MS)
      const settle = (v: boolean) => {
        clearTimeout(timer)
        role.onWelcome = null
        if (!v && !ctx.peers.has(link.peerId ?? '')) link.close(1000, 'join failed')
        resolve(v)
      }
      role.onWelcome = settle
      link.onClosed = () => settle(false)
    })
    if (ok) return true
    ctx.log.warn(`introducer ${wsUrl({ ...addr, tls: addr.tls ?? false })} did not welcome us`)
  }
  if (ctx.work.stopping || introducers.length === 0) return false
  if (ctx.peers.size > 0) return joinWhenAlone(ctx, introducers)
  const delay = backoff(ctx, attempt)
  ctx.log.warn(`no introducer reachable; retrying in ${Math.round(delay)} ms`)
  await Bun.sleep(delay)
  return joinMesh(ctx, introducers, attempt + 1)
}

/**
 * Linked to the mesh already (pinned servers, or servers that joined us): the join is pointless
 * while any link is up (issue 16 E: it was retried for ever). Those servers are redialed on their
 * own, and so is an introducer that welcomed us before (a pinned member of the mesh, which the
 * seed's never dials back); the join resumes only once no server link is left.
 */
async function joinWhenAlone(ctx: ServerContext, introducers: readonly Addr[]): Promise<boolean> {
  const names = introducers.map((a) => wsUrl({ ...a, tls: a.tls ?? false })).join(', ')
  ctx.log.info(`linked to ${ctx.peers.size} server(s): not retrying ${names} while any server link is up`)
  for (const s of ctx.store.servers.all())
    if (introducers.some((a) => a.host === s.host && a.port === s.port)) scheduleRedial(ctx, s.serverId)
  while (ctx.peers.size > 0) {
    if (ctx.work.stopping) return false
    await Bun.sleep(Math.min(1_000, ctx.timing.heartbeatMs))
  }
  if (ctx.work.stopping) return false
  ctx.log.warn(`no server link left: joining through ${names} again`)
  return joinMesh(ctx, introducers)
}

/** 1 s … 60 s, doubling, with ±25 % jitter; scaled down with the heartbeat so tests run fast. */
function backoff(ctx: ServerContext, attempt: number): number {
  const base = Math.min(1_000, ctx.timing.heartbeatMs)
  const capped = Math.min(60_000, base * 2 ** attempt)
  return capped * (0.75 + Math.random() * 0.5)
}

/**
 * Redials a lost peer until it is linked again (by us or by it). A `--peer` introducer is redialed
 * with a join, as the seed requires (it refuses SERVER_HELLO_LINK) and every server accepts.
 */
export function scheduleRedial(ctx: ServerContext, serverId: string): void {
  if (ctx.work.stopping || ctx.peers.has(serverId)) return
  const pinned = ctx.store.servers.get(serverId)
  // A server that never answered at the address it claimed is not dialed there (mesh/confirm.ts).
  if (!pinned?.confirmed) return
  const intro = ctx.introducers.find((a) => a.host === pinned.host && a.port === pinned.port)
  ctx.peers.scheduleRedial(
    serverId,
    (attempt) => backoff(ctx, attempt),
    () =>
      intro
        ? rejoin(ctx, serverId, intro)
        : linkTo(ctx, serverId, { host: pinned.host, port: pinned.port, tls: pinned.tls }),
  )
}

/** One SERVER_HELLO_JOIN to a lost introducer; its WELCOME re-links us (mesh/bootstrap.ts). */
function rejoin(ctx: ServerContext, serverId: string, addr: Addr): void {
  if (ctx.work.stopping || ctx.peers.has(serverId)) return
  const link = dial(ctx, addr, serverId, () =>
    ctx.outbox.frame('SERVER_HELLO_JOIN', hostPort(addr.host, addr.port), myHello(ctx)),
  )
  // A dial that failed at once never closes, so nothing else would schedule the next attempt.
  if (!link) return scheduleRedial(ctx, serverId)
  const role = link.becomeServer()
  role.onWelcome = () => {
    role.onWelcome = null
  }
}
