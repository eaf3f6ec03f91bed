/**
 * @module DIRECTORY_ENTRY from other servers (docs/wire.md §5): who a user is and where their home
 * is, taken only from that home server (its own signed entry on its own link), with a per-server
 * cap (Quota). Names may be shared across home servers: a conflict never deletes, re-homes or
 * re-keys anyone (PROTOCOL.md §6); clients qualify a shared name by home server.
 */

import { importPublicKey } from '../../crypto/index.ts'
import { isUsername } from '../../protocol/index.ts'
import type { DirectoryEntry } from '../../store/index.ts'
import type { ServerContext } from '../context.ts'
import { spkiOrNull } from '../keys.ts'
import type { MeshCall, MeshFrame } from './_types.ts'

/**
 * Takes a directory entry from its home server; a re-key, a move to another home server, or a
 * name taken from its owner is refused.
 */
export function learn(
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
  const home = known?.serverId ?? ctx.presence.keylessHome(e.userId)
  if (home !== undefined && home !== e.serverId) {
    ctx.log.warn(`refused directory entry moving ${e.userId} from ${home} to ${e.serverId}`)
    return false
  }
  const holder = ctx.store.directory.byUsername(e.username)
  if (holder && holder.userId !== e.userId)
    ctx.logs.warn(
      `name|${e.serverId}`,
      `"${e.username}" is held by users of ${holder.serverId} and ${e.serverId}; both kept`,
    )
  if (!known && !ctx.quota.takeUserSlot(e.serverId)) {
    ctx.log.warn(`refused directory entry for ${e.userId}: server ${e.serverId} is at its user cap`)
    return false
  }
  const r = ctx.store.directory.upsert({ ...e, pubkey: spki })
  if (r === 'rekey' || r === 'rehome') {
    ctx.log.warn(`refused directory entry for ${e.userId} from server ${e.serverId}: ${r}`)
    return false
  }
  return true
}

export function onDirectoryEntry(f: MeshFrame<'DIRECTORY_ENTRY'>, call: MeshCall): void {
  const p = f.payload
  // Only a user's home server speaks for them.
  if (f.from !== p.server_id || p.server_id === call.ctx.me.serverId) return
  if (!isUsername(p.username)) return
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
  call.ctx.presence.relist(p.user_id)
}

/**
 * A user whose server advertised no key: pin the first `sender_pub` seen for them, from then on
 * the directory refuses any other (PROTOCOL.md §3.2). Returns the new entry, or null.
 */
export function pinFirstSenderKey(
  ctx: ServerContext,
  origin: string,
  userId: string,
  senderPub: string,
): DirectoryEntry | null {
  const who = ctx.presence.keyless(userId)
  const spki = spkiOrNull(senderPub)
  // Only their own server's frame: any other peer could otherwise key them with its own key.
  if (!who || who.serverId !== origin || !spki || !ctx.quota.takeUserSlot(who.serverId)) return null
  const { username, serverId } = who
  const r = ctx.store.directory.upsert({ userId, username, pubkey: spki, serverId, created: Date.now() })
  if (r !== 'added') return null
  ctx.presence.forgetKeyless(userId)
  ctx.log.warn(`pinned the first key seen for ${username} (${userId}), whose server advertised none`)
  return ctx.store.directory.byId(userId)
}
