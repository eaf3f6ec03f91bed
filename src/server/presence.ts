/**
 * @module Presence and the directory from this server's side: our users coming and going, and the
 * signed gossip that tells the mesh (PROTOCOL.md §4 "Presence", docs/wire.md §5).
 */

import { randomBytes } from 'node:crypto'
import { b64uEncode, encrypt, importPublicKey } from '../crypto/index.ts'
import type { DirectoryEntry } from '../store/index.ts'
import { broadcastToServers, broadcastToUsers, type ServerContext, signed } from './context.ts'
import type { Link } from './link.ts'
import { seenKey } from './seen.ts'

function remember(ctx: ServerContext, text: string): void {
  const f = JSON.parse(text) as { ts: number; from: string; to: string; payload: unknown }
  ctx.seen.add(seenKey(f, f.payload))
}

async function directoryFrame(ctx: ServerContext, e: DirectoryEntry): Promise<string> {
  const cached = ctx.ownFrames.directory.get(e.userId)
  if (cached) return cached
  const payload = {
    user_id: e.userId,
    username: e.username,
    pubkey: e.pubkey,
    server_id: e.serverId,
    created: e.created,
  }
  const text = await signed(ctx, 'DIRECTORY_ENTRY', '*', payload)
  ctx.ownFrames.directory.set(e.userId, text)
  remember(ctx, text)
  return text
}

/** Tells every server about a newly registered home user. */
export async function announceDirectoryEntry(ctx: ServerContext, e: DirectoryEntry): Promise<void> {
  broadcastToServers(ctx, await directoryFrame(ctx, e))
}

/** The user's online presence as USER_ADVERTISE: key in `pubkey` and `meta.pubkey` (spec-notes §5.2). */
function advertisePayload(ctx: ServerContext, e: DirectoryEntry) {
  return {
    user_id: e.userId,
    server_id: ctx.me.serverId,
    pubkey: e.pubkey,
    meta: { display_name: e.username, pubkey: e.pubkey },
  }
}

/** Binds a link to a user who proved their key, then tells the mesh and the public channel. */
export async function attachUser(ctx: ServerContext, link: Link, e: DirectoryEntry): Promise<void> {
  ctx.localUsers.set(e.userId, link)
  ctx.locations.delete(e.userId)
  link.auth = { stage: 'bound', userId: e.userId }
  link.kind = 'user'
  const advertise = await signed(ctx, 'USER_ADVERTISE', '*', advertisePayload(ctx, e))
  remember(ctx, advertise)
  broadcastToServers(ctx, advertise)
  for (const [id, other] of ctx.localUsers) if (id !== e.userId) other.send(advertise)
  await joinChannel(ctx, e)
  ctx.log.info(`user ${e.username} (${e.userId}) online`)
  ctx.changed()
}

/** Unbinds a departing user and tells the mesh, unless another link already took their place. */
export async function detachUser(ctx: ServerContext, link: Link): Promise<void> {
  if (link.auth.stage !== 'bound') return
  const userId = link.auth.userId
  if (ctx.localUsers.get(userId) !== link) return
  ctx.localUsers.delete(userId)
  const remove = await signed(ctx, 'USER_REMOVE', '*', { user_id: userId, server_id: ctx.me.serverId })
  remember(ctx, remove)
  broadcastToServers(ctx, remove)
  broadcastToUsers(ctx, remove)
  const version = ctx.store.channel.removeMember(userId)
  broadcastToServers(ctx, await signed(ctx, 'PUBLIC_CHANNEL_UPDATED', '*', { version, wraps: [] }))
  ctx.log.info(`user ${userId} offline`)
  ctx.changed()
}

/**
 * Public-channel membership (spec-notes §11): the version rises on every join. The wrap of a fresh
 * 256-bit key exists for spec conformance only; messages are per-member RSA (PROTOCOL.md §5), and
 * the clear key is dropped at once, never stored.
 */
async function joinChannel(ctx: ServerContext, e: DirectoryEntry): Promise<void> {
  const wrapped = b64uEncode(encrypt(importPublicKey(e.pubkey), randomBytes(32)))
  const version = ctx.store.channel.setMember(e.userId, wrapped)
  const [add, updated] = await Promise.all([
    signed(ctx, 'PUBLIC_CHANNEL_ADD', '*', { add: [e.userId], if_version: version }),
    signed(ctx, 'PUBLIC_CHANNEL_UPDATED', '*', {
      version,
      wraps: [{ member_id: e.userId, wrapped_key: wrapped }],
    }),
  ])
  broadcastToServers(ctx, add)
  broadcastToServers(ctx, updated)
}

/** After a server link (re)forms: our directory, who is online here, and the channel version. */
export async function resync(ctx: ServerContext, link: Link): Promise<void> {
  const entries = ctx.store.directory.byServer(ctx.me.serverId)
  const texts = await Promise.all(entries.map((e) => directoryFrame(ctx, e)))
  for (const t of texts) link.send(t)
  // Re-signed with a fresh ts: the peer may still remember the old frame in its seen cache and
  // would drop it, although it forgot our users when the link died.
  const online = [...ctx.localUsers.keys()].flatMap((id) => ctx.store.directory.byId(id) ?? [])
  const adverts = await Promise.all(
    online.map((e) => signed(ctx, 'USER_ADVERTISE', '*', advertisePayload(ctx, e))),
  )
  for (const t of adverts) link.send(t)
  link.send(
    await signed(ctx, 'PUBLIC_CHANNEL_UPDATED', '*', { version: ctx.store.channel.version(), wraps: [] }),
  )
}

/** Marks every user of a dead server offline here and tells our users (PROTOCOL.md §4). */
export async function dropServerUsers(ctx: ServerContext, serverId: string): Promise<void> {
  const gone = [...ctx.locations].filter(([, s]) => s === serverId).map(([u]) => u)
  for (const u of gone) ctx.locations.delete(u)
  const frames = await Promise.all(
    gone.map((u) => signed(ctx, 'USER_REMOVE', '', { user_id: u, server_id: serverId })),
  )
  for (const f of frames) broadcastToUsers(ctx, f)
  if (gone.length > 0) ctx.changed()
}
