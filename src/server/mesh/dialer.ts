/**
 * @module Outbound server links: join through an introducer, link to every server, and redial a
 * lost peer with exponential backoff and jitter (PROTOCOL.md §4 "Join", "Links", "Health").
 */

import { hostPort, openWebSocket, wsUrl } from '../../net/index.ts'
import { PRESENCE_BATCH_CAP } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import { type Addr, type Link, SERVER_RATE } from '../link.ts'

const JOIN_TIMEOUT_MS = 5_000

/** Opens a WebSocket to another server and sends `hello` as its first frame. */
export function dial(
  ctx: ServerContext,
  addr: Addr,
  expect: string | null,
  hello: () => Promise<string>,
): Link {
  const ws = openWebSocket(wsUrl({ ...addr, tls: addr.tls ?? false }), ctx.dialTls)
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
    SERVER_RATE,
  )
  link.becomeServer({ ...addr, expect })
  ws.addEventListener('open', () => {
    hello().then(
      (t) => ws.send(t),
      (e) => ctx.log.error(`could not sign hello: ${String(e)}`),
    )
  })
  ws.addEventListener('message', (ev) => ctx.events.message(link, ev.data as string | Buffer))
  ws.addEventListener('close', () => {
    link.closed = true
    ctx.events.closed(link)
  })
  ws.addEventListener('error', () => {})
  return link
}

/** Beyond the spec, our servers speak batched presence with each other (docs/wire.md §10). */
export const MY_CAPS = [PRESENCE_BATCH_CAP]

/** Our address payload: `tls: true` only under TLS, so a plain server sends exactly the spec's fields. */
export function myAddress(ctx: ServerContext) {
  const { host, port, tls } = ctx.advertised
  return { host, port, pubkey: ctx.me.pubkey, ...(tls && { tls: true }) }
}

/** Our hellos (JOIN, LINK) add `caps`, which other implementations ignore (docs/wire.md §10). */
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
  const delay = backoff(ctx, attempt)
  ctx.log.warn(`no introducer reachable; retrying in ${Math.round(delay)} ms`)
  await Bun.sleep(delay)
  return joinMesh(ctx, introducers, attempt + 1)
}

/** 1 s … 60 s, doubling, with ±25 % jitter; scaled down with the heartbeat so tests run fast. */
function backoff(ctx: ServerContext, attempt: number): number {
  const base = Math.min(1_000, ctx.timing.heartbeatMs)
  const capped = Math.min(60_000, base * 2 ** attempt)
  return capped * (0.75 + Math.random() * 0.5)
}

/** Redials a lost peer until it is linked again (by us or by it). */
export function scheduleRedial(ctx: ServerContext, serverId: string): void {
  if (ctx.work.stopping || ctx.peers.has(serverId)) return
  const pinned = ctx.store.servers.get(serverId)
  if (!pinned) return
  ctx.peers.scheduleRedial(
    serverId,
    (attempt) => backoff(ctx, attempt),
    () => linkTo(ctx, serverId, { host: pinned.host, port: pinned.port, tls: pinned.tls }),
  )
}
