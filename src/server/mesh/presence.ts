/**
 * @module USER_ADVERTISE, USER_REMOVE and our PRESENCE_BATCH from other servers (PROTOCOL.md §4
 * "Presence", docs/wire.md §14): only from the origin itself (mesh/inbound.ts: `from` = the link's
 * server), checked against the directory, taken or refused by Presence, then queued for our
 * clients' next presence batch — never relayed to other servers. A user's name comes from its home
 * server's directory entry (the roster), never from an advert's `meta.display_name`.
 */

import { isUsername } from '../../protocol/index.ts'
import type { Change } from '../feed.ts'
import { spkiOrNull } from '../keys.ts'
import type { MeshCall, MeshFrame } from './_types.ts'
import { learn } from './directory.ts'

export function onAdvertise(f: MeshFrame<'USER_ADVERTISE'>, call: MeshCall): void {
  const { ctx } = call
  const p = f.payload
  if (f.from !== p.server_id || p.server_id === ctx.me.serverId) return
  const known = ctx.store.directory.byId(p.user_id)
  if (known) {
    // A server may only advertise its own users, with the key the directory holds.
    if (known.serverId !== p.server_id)
      return ctx.logs.warn(`advert|${f.from}`, `refused USER_ADVERTISE moving ${p.user_id} to ${p.server_id}`)
    if (p.pubkey && spkiOrNull(p.pubkey) !== known.pubkey)
      return ctx.logs.warn(`advert|${f.from}`, `refused USER_ADVERTISE re-keying ${p.user_id}`)
  } else {
    // Another implementation's user (no DIRECTORY_ENTRY): learn them from their server's word — the
    // first server that advertised them; another may not move or key them. The name may be shared
    // with another server's user; clients then qualify both (PROTOCOL.md §6).
    const home = ctx.presence.keylessHome(p.user_id)
    if (home !== undefined && home !== p.server_id)
      return ctx.logs.warn(`advert|${f.from}`, `refused USER_ADVERTISE moving ${p.user_id} to ${p.server_id}`)
    const username = nameFor(p.user_id, p.display_name)
    if (!p.pubkey) {
      // A keyless user takes one of their server's user slots when first heard of, as a keyed
      // one does: a peer making up ids would otherwise grow our presence tables without bound.
      if (home === undefined && !ctx.quota.takeUserSlot(p.server_id))
        return ctx.logs.warn(`advert|${f.from}`, `refused USER_ADVERTISE: ${p.server_id} is at its user cap`)
      ctx.presence.rememberKeyless(p.user_id, username, p.server_id)
    } else if (
      !learn(call, { userId: p.user_id, username, pubkey: p.pubkey, serverId: p.server_id, created: f.ts })
    )
      return
  }
  // A repeated advert of a user already online there changes nothing, and is no news to our users:
  // an origin replaying its advert under fresh `ts` values must not flood them.
  const already = ctx.presence.locations.get(p.user_id) === p.server_id
  if (!ctx.presence.arrive(p.user_id, p.server_id, f.ts) || already) return
  // Our clients hear it in our own signed USER_PRESENCE, named from the directory (the roster); a
  // keyless user has no roster row, so the clients who follow everyone get the origin's advert as
  // it came — contacts-mode clients only hear of users they asked about (docs/wire.md §14).
  const user = ctx.presence.roster.get(p.user_id)
  if (user) ctx.feed.other({ online: true, user })
  else ctx.feed.toEveryone(call.text)
  ctx.changed()
}

function nameFor(userId: string, displayName: string | null): string {
  const name = displayName?.toLowerCase() ?? ''
  return isUsername(name) ? name : `user_${userId.slice(0, 8)}`
}

export function onRemove(f: MeshFrame<'USER_REMOVE'>, call: MeshCall): void {
  const { ctx } = call
  const p = f.payload
  if (f.from !== p.server_id) return
  // "Remove only when the stored location still equals server_id" (PROTOCOL.md §4).
  if (!ctx.presence.depart(p.user_id, p.server_id, f.ts)) return
  ctx.feed.other({ online: false, userId: p.user_id, serverId: p.server_id })
  ctx.changed()
}

/**
 * PRESENCE_BATCH from one of our servers (docs/wire.md §14): each entry is taken exactly as that
 * server's USER_ADVERTISE / USER_REMOVE with the batch's `ts` would be. Only users whose
 * DIRECTORY_ENTRY names the sender as their home, with the same name and key, come online. When
 * every entry holds and is news, our clients who follow everyone get the frame as the origin signed
 * it (its names are then exactly the directory's); otherwise they get what was taken, in our own
 * next batch, named from the directory.
 */
export function onPresenceBatch(f: MeshFrame<'PRESENCE_BATCH'>, call: MeshCall): void {
  const { ctx } = call
  const origin = f.payload.server_id
  if (f.from !== origin || origin === ctx.me.serverId) return
  const taken: Change[] = []
  let refused = 0
  let stale = 0
  for (const u of f.payload.online) {
    const e = ctx.store.directory.byId(u.user_id)
    if (e?.serverId !== origin || e.username !== u.username || e.pubkey !== u.pubkey) {
      refused++
      continue
    }
    const already = ctx.presence.locations.get(u.user_id) === origin
    if (ctx.presence.arrive(u.user_id, origin, f.ts) && !already) {
      const user = ctx.presence.roster.get(u.user_id)
      if (user) taken.push({ online: true, user })
      else stale++
    } else stale++
  }
  for (const userId of f.payload.offline)
    if (ctx.presence.depart(userId, origin, f.ts)) taken.push({ online: false, userId, serverId: origin })
    else stale++
  if (refused > 0)
    ctx.logs.warn(
      `batch|${origin}`,
      `refused ${refused} users in a PRESENCE_BATCH from ${origin}: not its users as the directory has them`,
    )
  if (refused > 0 || stale > 0) {
    // A replay under a fresh `ts` or a partly refused batch must not reach our clients as is.
    for (const c of taken) ctx.feed.other(c)
  } else {
    ctx.feed.toEveryone(call.text)
    for (const c of taken) ctx.feed.watched(c)
  }
  if (taken.length > 0) ctx.changed()
}
