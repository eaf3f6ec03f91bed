/**
 * @module What this server tells others about its own users: registration, coming online, going
 * offline, the public channel, and a resync after a link (re)forms (PROTOCOL.md §4 "Presence",
 * docs/wire.md §5). The tables it changes belong to Presence and the store.
 */

import { randomBytes } from 'node:crypto'
import { b64uEncode, encrypt, importPublicKey } from '../crypto/index.ts'
import type { DirectoryEntry } from '../store/index.ts'
import type { ServerContext } from './context.ts'
import type { Link } from './link.ts'

async function directoryFrame(ctx: ServerContext, e: DirectoryEntry): Promise<string> {
  return (await ctx.outbox.directoryEntry(e)).text
}

/** Tells every server about a newly registered home user. */
export async function announceDirectoryEntry(ctx: ServerContext, e: DirectoryEntry): Promise<void> {
  ctx.peers.broadcast(await directoryFrame(ctx, e))
}

/**
 * The user's online presence as USER_ADVERTISE: key in `pubkey` and `meta.pubkey` (spec-notes
 * §5.2), the name as `meta.display_name` and as `meta.username`, which Group 43 reads.
 */
function advertise(ctx: ServerContext, e: DirectoryEntry): Promise<string> {
  return ctx.outbox.frame('USER_ADVERTISE', '*', {
    user_id: e.userId,
    server_id: ctx.me.serverId,
    pubkey: e.pubkey,
    meta: { display_name: e.username, username: e.username, pubkey: e.pubkey },
  })
}

/** Binds a link to a user who proved their key, then tells the mesh and the public channel. */
export async function attachUser(ctx: ServerContext, link: Link, e: DirectoryEntry): Promise<void> {
  ctx.presence.attach(e.userId, link)
  link.user?.login.bind(e.userId)
  const text = await advertise(ctx, e)
  ctx.peers.broadcast(text)
  ctx.presence.toLocal(text, e.userId)
  await joinChannel(ctx, e)
  ctx.log.info(`user ${e.username} (${e.userId}) online`)
  ctx.changed()
}

/** Unbinds a departing user and tells the mesh, unless another link already took their place. */
export async function detachUser(ctx: ServerContext, link: Link): Promise<void> {
  const userId = link.user?.login.boundUser
  if (!userId || !ctx.presence.detach(userId, link)) return
  const remove = await ctx.outbox.frame('USER_REMOVE', '*', { user_id: userId, server_id: ctx.me.serverId })
  ctx.peers.broadcast(remove)
  ctx.presence.toLocal(remove)
  const version = ctx.store.channel.removeMember(userId)
  ctx.peers.broadcast(await ctx.outbox.frame('PUBLIC_CHANNEL_UPDATED', '*', { version, wraps: [] }))
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
    ctx.outbox.frame('PUBLIC_CHANNEL_ADD', '*', { add: [e.userId], if_version: version }),
    ctx.outbox.frame('PUBLIC_CHANNEL_UPDATED', '*', {
      version,
      wraps: [{ member_id: e.userId, wrapped_key: wrapped }],
    }),
  ])
  ctx.peers.broadcast(add)
  ctx.peers.broadcast(updated)
}

/** After a server link (re)forms: our directory, who is online here, and the channel version. */
export async function resync(ctx: ServerContext, link: Link): Promise<void> {
  const entries = ctx.store.directory.byServer(ctx.me.serverId)
  const texts = await Promise.all(entries.map((e) => directoryFrame(ctx, e)))
  for (const t of texts) link.send(t)
  // Re-signed with a fresh ts: the peer may still remember the old frame in its seen cache and
  // would drop it, although it forgot our users when the link died.
  const online = [...ctx.presence.local.keys()].flatMap((id) => ctx.store.directory.byId(id) ?? [])
  const adverts = await Promise.all(online.map((e) => advertise(ctx, e)))
  for (const t of adverts) link.send(t)
  await ctx.outbox.send(link, 'PUBLIC_CHANNEL_UPDATED', '*', {
    version: ctx.store.channel.version(),
    wraps: [],
  })
}

/** Marks every user of a dead server offline here and tells our users (PROTOCOL.md §4). */
export async function dropServerUsers(ctx: ServerContext, serverId: string): Promise<void> {
  const gone = ctx.presence.dropServer(serverId)
  const frames = await Promise.all(
    gone.map((u) => ctx.outbox.frame('USER_REMOVE', '', { user_id: u, server_id: serverId })),
  )
  for (const f of frames) ctx.presence.toLocal(f)
  if (gone.length > 0) ctx.changed()
}
