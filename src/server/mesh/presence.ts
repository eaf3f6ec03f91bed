/**
 * @module USER_ADVERTISE and USER_REMOVE from other servers (PROTOCOL.md §4 "Presence"): checked
 * against the directory, taken or refused by Presence, then passed on unchanged. Only the origin's
 * own copy reaches these handlers: mesh/inbound.ts drops relayed ones (`Presence.fromOrigin`).
 */

import { isUsername } from '../../protocol/index.ts'
import { spkiOrNull } from '../keys.ts'
import type { MeshCall, MeshFrame } from './_types.ts'
import { learn } from './directory.ts'
import { relay } from './relay.ts'

export function onAdvertise(f: MeshFrame<'USER_ADVERTISE'>, call: MeshCall): void {
  const { ctx } = call
  const p = f.payload
  if (f.from !== p.server_id || p.server_id === ctx.me.serverId) return
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
    if (!p.pubkey) ctx.presence.rememberKeyless(p.user_id, username)
    else if (
      !learn(call, { userId: p.user_id, username, pubkey: p.pubkey, serverId: p.server_id, created: f.ts })
    )
      return
  }
  if (!ctx.presence.arrive(p.user_id, p.server_id, f.ts)) return
  relay(call, f.from)
  ctx.presence.toLocal(call.text)
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
  relay(call, f.from)
  ctx.presence.toLocal(call.text)
  ctx.changed()
}
