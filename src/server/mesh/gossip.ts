/**
 * @module Presence, directory and channel gossip from other servers (PROTOCOL.md §4 "Presence",
 * docs/wire.md §5). Frames are verified against their origin, then relayed unchanged.
 */

import { importPublicKey } from '../../crypto/index.ts'
import type { DirectoryEntry } from '../../store/index.ts'
import { broadcastToServers, broadcastToUsers, type ServerContext } from '../context.ts'
import { spkiOrNull, USERNAME_RE } from '../ids.ts'
import { takeUserSlot } from '../quota.ts'
import type { MeshCall, MeshFrame } from './_types.ts'

/**
 * How long a name stays contestable after registration. Two servers that register one name at
 * about the same time converge on the older `(created, user_id)` (docs/wire.md §5); `created` is the
 * claimant's word, so outside this window a claim could be back-dated to steal any name.
 */
const NAME_RACE_MS = 2 * 60_000
/** Newest presence event applied per user, so an old ADVERTISE or REMOVE cannot undo a newer one. */
const lastPresence = new WeakMap<object, Map<string, number>>()

/** Passes a gossip frame on, unchanged, to every other server (never back, never to its origin). */
export function relay({ ctx, link, text }: MeshCall, origin: string): void {
  broadcastToServers(ctx, text, link, origin)
}

function fresher(call: MeshCall, userId: string, ts: number): boolean {
  const seen = lastPresence.get(call.ctx) ?? new Map<string, number>()
  lastPresence.set(call.ctx, seen)
  if ((seen.get(userId) ?? -1) > ts) return false
  seen.set(userId, ts)
  return true
}

/**
 * Whether a claim created at `created` may take a name from `holder`: only in a registration race,
 * and never from one of our own users (the home server is the authority on its accounts).
 */
function mayTakeName(ctx: ServerContext, holder: { serverId: string; created: number }, created: number) {
  const now = Date.now()
  return (
    holder.serverId !== ctx.me.serverId &&
    now - holder.created < NAME_RACE_MS &&
    Math.abs(now - created) < NAME_RACE_MS
  )
}

/**
 * Takes a directory entry from its home server; a re-key, a move to another home server, or a
 * name taken from its owner is refused.
 */
function learn(
  call: MeshCall,
  e: { userId: string; username: string; pubkey: string; serverId: string; created: number },
): boolean {
  const { ctx } = call
  let spki: string
  try {
    spki = importPublicKey(e.pubkey).spki
  } catch {
    ctx.log.warn(`refused a weak key for user ${e.userId} from server ${e.serverId}`)
    return false
  }
  // The key is public, so an entry with the right key proves nothing: a user's home is fixed at
  // registration, or any server could re-home a user and then advertise and receive their traffic.
  const known = ctx.store.directory.byId(e.userId)
  if (known && known.serverId !== e.serverId) {
    ctx.log.warn(`refused directory entry moving ${e.userId} from ${known.serverId} to ${e.serverId}`)
    return false
  }
  const holder = ctx.store.directory.byUsername(e.username)
  if (holder && holder.userId !== e.userId && !mayTakeName(ctx, holder, e.created)) {
    ctx.log.warn(`refused directory entry for ${e.userId} from ${e.serverId}: "${e.username}" is taken`)
    return false
  }
  if (!known && !takeUserSlot(ctx, e.serverId)) {
    ctx.log.warn(`refused directory entry for ${e.userId}: server ${e.serverId} is at its user cap`)
    return false
  }
  const r = ctx.store.directory.upsert({ ...e, pubkey: spki })
  if (r === 'rekey' || r === 'name_conflict') {
    ctx.log.warn(`refused directory entry for ${e.userId} from server ${e.serverId}: ${r}`)
    return false
  }
  return true
}

export function onDirectoryEntry(f: MeshFrame<'DIRECTORY_ENTRY'>, call: MeshCall): void {
  const p = f.payload
  // Only a user's home server speaks for them.
  if (f.from !== p.server_id || p.server_id === call.ctx.me.serverId) return
  if (!USERNAME_RE.test(p.username.toLowerCase())) return
  if (
    !learn(call, {
      userId: p.user_id,
      username: p.username.toLowerCase(),
      pubkey: p.pubkey,
      serverId: p.server_id,
      created: p.created,
    })
  )
    return
  relay(call, f.from)
}

/**
 * Presence is ordered by `ts`, which no signature covers: a copy relayed by a third server could
 * carry any ts (an old USER_REMOVE dated next year would hide a user for good). So only the origin's
 * own link speaks for its users' presence. In a full mesh every origin reaches us directly, and the
 * users of a server we have no link to cannot be routed to anyway.
 */
function direct(f: { from: string; type: string }, call: MeshCall): boolean {
  if (call.link.peerId === f.from) return true
  call.ctx.log.debug(`ignored a relayed ${f.type} of ${f.from} from ${call.link.describe()}`)
  return false
}

export function onAdvertise(f: MeshFrame<'USER_ADVERTISE'>, call: MeshCall): void {
  const { ctx } = call
  const p = f.payload
  if (f.from !== p.server_id || p.server_id === ctx.me.serverId || !direct(f, call)) return
  const known = ctx.store.directory.byId(p.user_id)
  if (known) {
    // A server may only advertise its own users, with the key the directory holds.
    if (known.serverId !== p.server_id)
      return ctx.log.warn(`refused USER_ADVERTISE moving ${p.user_id} to ${p.server_id}`)
    if (p.pubkey && spkiOrNull(p.pubkey) !== known.pubkey)
      return ctx.log.warn(`refused USER_ADVERTISE re-keying ${p.user_id}`)
  } else {
    // Another implementation's user (no DIRECTORY_ENTRY): learn them from their server's word.
    const username = nameFor(p.user_id, p.display_name)
    if (!p.pubkey) rememberKeyless(ctx, p.user_id, username)
    else if (
      !learn(call, { userId: p.user_id, username, pubkey: p.pubkey, serverId: p.server_id, created: f.ts })
    )
      return
  }
  if (ctx.localUsers.has(p.user_id) || !fresher(call, p.user_id, f.ts)) return
  ctx.locations.set(p.user_id, p.server_id)
  relay(call, f.from)
  broadcastToUsers(ctx, call.text)
  ctx.changed()
}

function nameFor(userId: string, displayName: string | null): string {
  const name = displayName?.toLowerCase() ?? ''
  return USERNAME_RE.test(name) ? name : `user_${userId.slice(0, 8)}`
}

// --- users advertised without a key (PROTOCOL.md §3.2) ---

const KEYLESS_LIMIT = 10_000
const keyless = new WeakMap<ServerContext, Map<string, string>>()

function rememberKeyless(ctx: ServerContext, userId: string, username: string): void {
  const names = keyless.get(ctx) ?? new Map<string, string>()
  keyless.set(ctx, names)
  if (names.size >= KEYLESS_LIMIT) names.delete(names.keys().next().value as string)
  names.set(userId, username)
}

/**
 * A user whose server advertised no key: pin the first `sender_pub` seen for them, from then on
 * the directory refuses any other (PROTOCOL.md §3.2). Returns the new entry, or null.
 */
export function pinFirstSenderKey(
  ctx: ServerContext,
  userId: string,
  senderPub: string,
): DirectoryEntry | null {
  const username = keyless.get(ctx)?.get(userId)
  const serverId = ctx.locations.get(userId)
  const spki = spkiOrNull(senderPub)
  if (!username || !serverId || !spki || !takeUserSlot(ctx, serverId)) return null
  const r = ctx.store.directory.upsert({ userId, username, pubkey: spki, serverId, created: Date.now() })
  if (r !== 'added') return null
  keyless.get(ctx)?.delete(userId)
  ctx.log.warn(`pinned the first key seen for ${username} (${userId}), whose server advertised none`)
  return ctx.store.directory.byId(userId)
}

export function onRemove(f: MeshFrame<'USER_REMOVE'>, call: MeshCall): void {
  const { ctx } = call
  const p = f.payload
  if (f.from !== p.server_id || !direct(f, call)) return
  // "Remove only when the stored location still equals server_id" (PROTOCOL.md §4).
  if (ctx.locations.get(p.user_id) !== p.server_id || !fresher(call, p.user_id, f.ts)) return
  ctx.locations.delete(p.user_id)
  relay(call, f.from)
  broadcastToUsers(ctx, call.text)
  ctx.changed()
}

/**
 * Versions converge to the highest seen, so one forged jump to the top of the integer range would
 * stop the version from ever rising again; no honest server is this far ahead.
 */
const MAX_VERSION_STEP = 1_000_000

function plausibleVersion(call: MeshCall, v: number, from: string): boolean {
  if (v <= call.ctx.store.channel.version() + MAX_VERSION_STEP) return true
  call.ctx.log.warn(`refused public channel version ${v} from ${from}`)
  return false
}

export function onChannelAdd(f: MeshFrame<'PUBLIC_CHANNEL_ADD'>, call: MeshCall): void {
  if (!plausibleVersion(call, f.payload.if_version, f.from)) return
  call.ctx.store.channel.raiseVersion(f.payload.if_version)
  relay(call, f.from)
}

export function onChannelUpdated(f: MeshFrame<'PUBLIC_CHANNEL_UPDATED'>, call: MeshCall): void {
  const { ctx } = call
  if (!plausibleVersion(call, f.payload.version, f.from)) return
  // Wraps only for users in the directory: a wrap for an unknown id would add a member row per
  // forged id. Nothing relies on the wraps (PROTOCOL.md §5: /all is per-member RSA).
  const wraps = f.payload.wraps
    .filter((w) => ctx.store.directory.byId(w.member_id) !== null)
    .map((w) => ({ memberId: w.member_id, wrappedKey: w.wrapped_key }))
  ctx.store.channel.applyUpdate(f.payload.version, wraps)
  relay(call, f.from)
}

/** Key shares carry nothing we rely on (PROTOCOL.md §5): verified, relayed, otherwise ignored. */
export function onKeyShare(f: MeshFrame<'PUBLIC_CHANNEL_KEY_SHARE'>, call: MeshCall): void {
  relay(call, f.from)
}
