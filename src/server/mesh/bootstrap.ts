/**
 * @module Joining and linking (PROTOCOL.md §4 "Join", "Links"): SERVER_HELLO_JOIN → SERVER_WELCOME,
 * SERVER_HELLO_LINK both ways, and SERVER_ANNOUNCE. Server keys are pinned to their ids.
 */

import { importPublicKey } from '../../crypto/index.ts'
import { canonicalHost, hostPort, isNeverAPeer } from '../../net/index.ts'
import { isUuid } from '../../protocol/index.ts'
import { reachableHost } from '../advertise.ts'
import type { ServerContext } from '../context.ts'
import { serverIdFor } from '../keys.ts'
import type { Addr, Link } from '../link.ts'
import type { MeshCall, MeshFrame } from './_types.ts'
import { confirmAddress } from './confirm.ts'
import { linkTo, MY_CAPS, myAddress, myHello } from './dialer.ts'
import { establishPeer } from './establish.ts'

/** The longest a WELCOME waits for the confirmation of servers that joined a moment before. */
const WELCOME_WAIT_MS = 1_000

/** Directory entries a SERVER_WELCOME lists: ≈ 425 KiB, well under the 1 MiB frame cap. */
export const WELCOME_CLIENTS_MAX = 500

type Claim = { serverId: string; host: string; port: number; pubkey: string; tls: boolean | undefined }

/**
 * How we learned a claim: `dialed` (we reached that address and the key answered there, or the
 * introducer we chose listed it) or `from` an incoming link, whose address is only a claim until
 * confirmed (mesh/confirm.ts) and whose admission is counted for its address (admission.ts).
 */
type Source = { dialed: true } | { dialed: false; from: Link }

/**
 * Pins `c.pubkey` to `c.serverId` at `c.host:c.port` (one spelling per address: budgets and
 * checks see the address, not how it was written); false (and logged) when refused.
 */
function pin(ctx: ServerContext, claim: Claim, source: Source): boolean {
  const c = { ...claim, host: canonicalHost(claim.host) }
  const known = ctx.store.servers.get(c.serverId)
  if (!known) {
    const why = source.dialed
      ? ctx.admission.keyHeldElsewhere(c.serverId, c.pubkey)
      : ctx.admission.refusal(c.serverId, c.pubkey, source.from.remote, source.from.authLegacy, (id) =>
          ctx.peers.has(id),
        )
    if (why) {
      ctx.logs.warn(`admit|${c.serverId}`, `refused to pin server ${c.serverId}: ${why}`)
      return false
    }
    if (!ctx.quota.takeServerSlot()) {
      ctx.logs.warn(
        `admit|cap`,
        `refused to pin server ${c.serverId}: ${ctx.quota.limits.servers} servers pinned already`,
      )
      return false
    }
  }
  const r = ctx.store.servers.pin({
    ...c,
    tls: c.tls === true,
    confirmed: source.dialed,
    admittedFrom: source.dialed ? null : ctx.admission.group(source.from.remote),
  })
  if (r === 'rekey') {
    ctx.log.warn(`refused another key for pinned server ${c.serverId}`)
    return false
  }
  ctx.peers.setAddr(c.serverId, { host: c.host, port: c.port })
  return true
}

/**
 * An incoming link's address claim is checked by a probe; another implementation cannot answer
 * one, and the operator let it in as it is (`--allow-legacy-peers`), address included.
 */
function believe(ctx: ServerContext, l: Link, serverId: string): void {
  if (l.authLegacy) ctx.store.servers.confirm(serverId)
  else confirmAddress(ctx, serverId)
}

async function link(ctx: ServerContext, l: Link, serverId: string, addr: Addr): Promise<void> {
  await establishPeer(ctx, l, serverId, addr)
}

/**
 * Introducer side: keep the joiner's id unless another key holds it (a key pinned already keeps
 * its id), then welcome it with the servers that answered at their addresses.
 */
export async function onHelloJoin(
  f: MeshFrame<'SERVER_HELLO_JOIN'>,
  { ctx, link: l }: MeshCall,
): Promise<void> {
  const auth = l.server?.auth
  if (l.direction !== 'in' || l.peerId || auth?.stage !== 'done') return
  const p = f.payload
  const spki = keySpki(p.pubkey)
  // The id the link was authenticated under, decided before it counted (Admission.idForJoin).
  const id = auth.peer
  // A joiner that advertises its wildcard bind (another implementation) is recorded where it came from.
  const host = reachableHost(p.host, l.remote)
  if (!host) return l.close(4003, 'no reachable address')
  if (!pin(ctx, { serverId: id, host, port: p.port, pubkey: spki, tls: p.tls }, { dialed: false, from: l }))
    return l.close(4003, 'not admitted')
  believe(ctx, l, id)
  // A server that joined a moment ago is usually still being confirmed: wait for it, briefly —
  // a probe into a tarpit must not outlast the joiner's patience (5 s).
  await ctx.admission.probesSettled(WELCOME_WAIT_MS)
  const servers = ctx.store.servers
    .all()
    .filter((s) => s.serverId !== id && s.serverId !== ctx.me.serverId && s.confirmed)
    .map((s) => ({
      server_id: s.serverId,
      host: s.host,
      port: s.port,
      pubkey: s.pubkey,
      ...(s.tls && { tls: true }),
    }))
  // Capped: each entry is ≈ 850 bytes, and a WELCOME over the 1 MiB server-frame cap would make
  // every join fail past ≈ 1,200 users (docs/scale.md). The rest arrives as each home server's
  // DIRECTORY_ENTRY resync once the joiner links to it.
  const clients = ctx.store.directory.all(WELCOME_CLIENTS_MAX).map((e) => ({
    user_id: e.userId,
    server_id: e.serverId,
    pubkey: e.pubkey,
    meta: { display_name: e.username },
  }))
  await ctx.outbox.send(l, 'SERVER_WELCOME', id, {
    assigned_id: id,
    servers,
    clients,
    pubkey: ctx.me.pubkey,
    server_pub: ctx.me.pubkey,
    caps: MY_CAPS,
  })
  ctx.log.info(`welcomed server ${id} from ${hostPort(host, p.port)}${p.tls ? ' (TLS)' : ''}`)
  heard(l, p.caps)
  await link(ctx, l, id, { host, port: p.port })
}

/** Records what the peer's signed hello or WELCOME says it speaks (read before the resync). */
function heard(l: Link, caps: readonly string[] | undefined): void {
  const role = l.server
  if (role) role.caps = caps ?? []
}

function keySpki(text: string): string {
  return importPublicKey(text).spki
}

/** Joiner side: adopt the assigned id, pin the introducer, link to every listed server, announce. */
export async function onWelcome(f: MeshFrame<'SERVER_WELCOME'>, { ctx, link: l }: MeshCall): Promise<void> {
  const role = l.server
  const onWelcome = role?.onWelcome
  if (!onWelcome || !role?.target || !f.payload.pubkey) return
  const introducer = { host: role.target.host, port: role.target.port }
  // The introducer proved a key in the handshake; its welcome must name that same server.
  const auth = role.auth
  if (auth.stage !== 'done' || auth.peer !== f.from) return onWelcome(false)
  const intro = { serverId: f.from, ...introducer, pubkey: keySpki(f.payload.pubkey), tls: role.target.tls }
  if (!pin(ctx, intro, { dialed: true })) return onWelcome(false)
  const assigned = f.payload.assigned_id
  // One of our introducers assigns only the id our key makes; any other came through a relay that
  // joined in our name (another implementation's introducer may assign as it likes).
  if (assigned && assigned !== ctx.me.serverId && !l.authLegacy && assigned !== serverIdFor(ctx.me.pubkey)) {
    ctx.log.error(`refused the id ${assigned} from ${f.from}: it is not the one this server's key makes`)
    return onWelcome(false)
  }
  if (assigned && assigned !== ctx.me.serverId) {
    ctx.log.warn(`introducer assigned id ${assigned} (was ${ctx.me.serverId})`)
    ctx.store.identity.setServerId(assigned)
    ctx.me.serverId = assigned
  }
  heard(l, f.payload.caps)
  await link(ctx, l, f.from, introducer)
  onWelcome(true)
  for (const s of f.payload.servers) {
    if (s.server_id === ctx.me.serverId || s.server_id === f.from || !reachableHost(s.host, null)) continue
    // Not even the introducer we chose makes us dial where no server is (a metadata service).
    if (isNeverAPeer(s.host)) continue
    let spki: string
    try {
      spki = keySpki(s.pubkey)
    } catch {
      continue
    }
    // Listed by the introducer we chose, which lists only servers that answered it there.
    if (
      pin(
        ctx,
        { serverId: s.server_id, host: s.host, port: s.port, pubkey: spki, tls: s.tls },
        { dialed: true },
      )
    )
      linkTo(ctx, s.server_id, { host: s.host, port: s.port, tls: s.tls === true })
  }
  ctx.peers.broadcast(await ctx.outbox.frame('SERVER_ANNOUNCE', '*', myAddress(ctx)))
}

/** Both ends of a link say SERVER_HELLO_LINK: the acceptor answers the dialer with its own. */
export async function onHelloLink(
  f: MeshFrame<'SERVER_HELLO_LINK'>,
  { ctx, link: l }: MeshCall,
): Promise<void> {
  const p = f.payload
  if (f.from === ctx.me.serverId || !isUuid(f.from)) return l.close(4003, 'bad server id')
  if (l.direction === 'out') {
    const target = l.server?.target
    if (target?.expect && target.expect !== f.from) return l.close(4003, 'unexpected server at that address')
    if (!target) return l.close(4003, 'no address dialed')
    const claim = {
      serverId: f.from,
      host: target.host,
      port: target.port,
      pubkey: keySpki(p.pubkey),
      tls: target.tls,
    }
    if (!pin(ctx, claim, { dialed: true })) return l.close(4003, 'not admitted')
    const t = target
    heard(l, p.caps)
    if (!l.peerId) await link(ctx, l, f.from, { host: t.host, port: t.port })
    return
  }
  if (l.peerId) return
  // A probe only checks that we answer here with our key (mesh/confirm.ts); its dialer hangs up.
  if (p.probe) {
    l.timers.push(setTimeout(() => l.close(1000, 'probe answered'), ctx.timing.helloTimeoutMs))
    return
  }
  await acceptLink(ctx, l, f.from, p)
}

/**
 * An incoming link proved to be `serverId`'s: pin it (a wildcard or loopback claim at the
 * connection's address, as `reachableHost` decides), answer with our hello, establish it.
 */
async function acceptLink(
  ctx: ServerContext,
  l: Link,
  serverId: string,
  p: Addr & { pubkey: string; tls?: boolean | undefined; caps?: readonly string[] | undefined },
) {
  const host = reachableHost(p.host, l.remote)
  if (!host) return l.close(4003, 'no reachable address')
  const claim = { serverId, host, port: p.port, pubkey: keySpki(p.pubkey), tls: p.tls }
  if (!pin(ctx, claim, { dialed: false, from: l })) return l.close(4003, 'not admitted')
  believe(ctx, l, serverId)
  heard(l, p.caps)
  await ctx.outbox.send(l, 'SERVER_HELLO_LINK', serverId, myHello(ctx))
  await link(ctx, l, serverId, { host, port: p.port })
}

/**
 * A server announces itself. Only on its own link (mesh/inbound.ts), so this is never news about
 * another server and never relayed: an incoming link that opened with it (an allowed first frame,
 * issue 16 C) is bound to the announcer like a SERVER_HELLO_LINK; on a bound link it updates the
 * peer's address. Nothing is dialed: we are linked to the announcer already.
 */
export async function onAnnounce(f: MeshFrame<'SERVER_ANNOUNCE'>, call: MeshCall): Promise<void> {
  const { ctx, link: l } = call
  if (f.from === ctx.me.serverId || !isUuid(f.from)) return
  const p = f.payload
  if (l.direction === 'in' && !l.peerId) return acceptLink(ctx, l, f.from, p)
  if (l.peerId !== f.from) return
  // A wildcard or loopback claim is recorded at the connection's address (incoming links only).
  const host = reachableHost(p.host, l.direction === 'in' ? l.remote : null)
  if (!host) return
  // A new address is a claim like any other: believed once the server answers there.
  const claim = { serverId: f.from, host, port: p.port, pubkey: keySpki(p.pubkey), tls: p.tls }
  if (pin(ctx, claim, { dialed: false, from: l })) believe(ctx, l, f.from)
}
