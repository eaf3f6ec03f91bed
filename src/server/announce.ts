/**
 * @module What this server tells others about its own users: registration, coming online, going
 * offline, the public channel, and a resync after a link (re)forms (PROTOCOL.md §4 "Presence",
 * docs/wire.md §5, §9). Presence itself travels in batches (src/server/feed.ts, batch.ts). The tables it changes belong to Presence and the store.
 */

import { randomBytes } from 'node:crypto'
import { b64uEncode, encrypt, importPublicKey } from '../crypto/index.ts'
import type { DirectoryEntry } from '../store/index.ts'
import { batches, toPeers, toPlainPeers } from './batch.ts'
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
 * Binds a link to a user who proved their key, then tells the mesh and our clients (in the next
 * presence batch, src/server/feed.ts) and the public channel.
 */
export async function attachUser(ctx: ServerContext, link: Link, e: DirectoryEntry): Promise<void> {
  ctx.presence.attach(e.userId, link)
  link.user?.login.bind(e.userId)
  const user = ctx.presence.roster.get(e.userId)
  const batch = user ? ctx.feed.own({ online: true, user }) : null
  // A batch started for this login alone is signed before the channel's two frames: on a server of
  // few cores, signing them beside it took the cores the mesh-wide presence waits on (one user's
  // presence at all 8 servers: its signature 3.3 → 5–7 ms). In a burst nothing waits here.
  if (batch) await batch
  // Closed meanwhile: its close took the user offline, and they must not join the channel after.
  if (link.closed) return
  await joinChannel(ctx, e)
  ctx.log.info(`user ${e.username} (${e.userId}) online`)
  ctx.changed()
}

/**
 * Unbinds a departing user (the one bound to `link`, unless named) and tells the mesh, unless
 * another link already took their place.
 */
export async function detachUser(
  ctx: ServerContext,
  link: Link,
  userId = link.user?.login.boundUser,
): Promise<void> {
  ctx.feed.leave(link)
  if (!userId || !ctx.presence.detach(userId, link)) return
  ctx.feed.own({ online: false, userId, serverId: ctx.me.serverId })
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
  // Our servers get one PRESENCE_BATCH per 500 users, others one USER_ADVERTISE each; each
  // frame has a fresh ts, which the peer needs: it forgot our users when the link died.
  const online = [...ctx.presence.local.keys()].flatMap((id) => {
    const user = ctx.presence.roster.get(id)
    return user ? [{ online: true as const, user }] : []
  })
  await (batches(link) ? toPeers : toPlainPeers)(ctx, online, [link])
  await ctx.outbox.send(link, 'PUBLIC_CHANNEL_UPDATED', '*', {
    version: ctx.store.channel.version(),
    wraps: [],
  })
}

/** Marks every user of a dead server offline here; our clients hear it in the next batch. */
export function dropServerUsers(ctx: ServerContext, serverId: string): void {
  const gone = ctx.presence.dropServer(serverId)
  for (const userId of gone) ctx.feed.other({ online: false, userId, serverId })
  if (gone.length > 0) ctx.changed()
}
