/**
 * @module USER_ADVERTISE and USER_REMOVE from other servers (PROTOCOL.md §4 "Presence"): only from
 * the origin itself (mesh/inbound.ts: `from` = the link's server), checked against the directory,
 * taken or refused by Presence, and told to our users — never relayed to other servers. A user's
 * name comes from its home server's directory entry, never from an advert's `meta.display_name`.
 */

import { isUsername } from '../../protocol/index.ts'
import type { DirectoryEntry } from '../../store/index.ts'
import type { ServerContext } from '../context.ts'
import { spkiOrNull } from '../keys.ts'
import type { MeshCall, MeshFrame } from './_types.ts'
import { learn } from './directory.ts'

export async function onAdvertise(f: MeshFrame<'USER_ADVERTISE'>, call: MeshCall): Promise<void> {
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
    // Another implementation's user (no DIRECTORY_ENTRY): learn them from their server's word. The
    // name may be shared with another server's user; clients then qualify both (PROTOCOL.md §6).
    const username = nameFor(p.user_id, p.display_name)
    if (!p.pubkey) ctx.presence.rememberKeyless(p.user_id, username)
    else if (
      !learn(call, { userId: p.user_id, username, pubkey: p.pubkey, serverId: p.server_id, created: f.ts })
    )
      return
  }
  // A repeated advert of a user already online there changes nothing, and is no news to our users:
  // an origin replaying its advert under fresh `ts` values must not flood them.
  const already = ctx.presence.locations.get(p.user_id) === p.server_id
  if (!ctx.presence.arrive(p.user_id, p.server_id, f.ts) || already) return
  const entry = known ?? ctx.store.directory.byId(p.user_id)
  if (entry) await tellLocal(ctx, entry)
  else ctx.presence.toLocal(call.text)
  ctx.changed()
}

/**
 * Our users hear of a remote user in an advert we sign, named from the directory: a member's own
 * advert could carry any `display_name` (a rogue naming its user "alice"). The payload of one user
 * is always the same, so the Outbox signs it once.
 */
async function tellLocal(ctx: ServerContext, e: DirectoryEntry): Promise<void> {
  if (ctx.presence.local.size === 0) return
  const text = await ctx.outbox.frame(
    'USER_ADVERTISE',
    '*',
    {
      user_id: e.userId,
      server_id: e.serverId,
      pubkey: e.pubkey,
      meta: { display_name: e.username, username: e.username, pubkey: e.pubkey },
    },
    { owner: e.serverId },
  )
  ctx.presence.toLocal(text)
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
  ctx.presence.toLocal(call.text)
  ctx.changed()
}
