/**
 * @module What a presence batch becomes on the wire (docs/wire.md §14). Our users' changes go out
 * as one signed PRESENCE_BATCH per batch to our own servers and to our clients who follow
 * everyone (their servers pass it on to theirs unchanged), and as the spec's USER_ADVERTISE /
 * USER_REMOVE per user to other implementations. Changes no batch carried reach those clients as
 * one signed USER_PRESENCE per batch; contacts-mode clients get a USER_PRESENCE of just the users
 * they watch. Never relayed to servers: each origin speaks for its own users.
 */

import { MAX_BATCH_USERS, MAX_PAGE_USERS, PRESENCE_BATCH_CAP } from '../protocol/index.ts'
import type { ServerContext } from './context.ts'
import { type Batch, type Change, changeUser } from './feed.ts'
import type { Link } from './link.ts'
import type { Sendable } from './outbox.ts'

/** True when the peer on `link` said it takes PRESENCE_BATCH. */
export const batches = (link: Link) => link.server?.caps.includes(PRESENCE_BATCH_CAP) === true

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size))
  return out
}

/** Sends one batch to the mesh and to our clients. */
export async function sendBatch(ctx: ServerContext, batch: Batch): Promise<void> {
  const links = [...ctx.peers.entries()].map(([, l]) => l)
  await Promise.all([
    // The same signed frames serve our servers and our clients who follow everyone.
    toPeers(ctx, batch.own, links.filter(batches), true),
    toPlainPeers(
      ctx,
      batch.own,
      links.filter((l) => !batches(l)),
    ),
    toFollowers(ctx, batch.everyone),
    toWatchers(ctx, batch.watched),
  ])
}

/**
 * One PRESENCE_BATCH per ≤ 500 of our users, signed once, to each of `links` and, with
 * `followers`, to our clients who follow everyone (after the servers).
 */
export async function toPeers(
  ctx: ServerContext,
  changes: readonly Change[],
  links: Sendable[],
  followers = false,
): Promise<void> {
  if (changes.length === 0 || (links.length === 0 && (!followers || ctx.feed.everyone.size === 0))) return
  for (const part of chunks(changes, MAX_BATCH_USERS)) {
    const text = await ctx.outbox.frame('PRESENCE_BATCH', '*', {
      server_id: ctx.me.serverId,
      online: part.flatMap((c) =>
        c.online ? [{ user_id: c.user.user_id, username: c.user.username, pubkey: c.user.pubkey }] : [],
      ),
      offline: part.filter((c) => !c.online).map(changeUser),
    })
    for (const l of links) l.send(text)
    if (followers) ctx.feed.toEveryone(text)
  }
}

/** The spec's frames, one per user, to other implementations (PROTOCOL.md §4 "Presence"). */
export async function toPlainPeers(ctx: ServerContext, changes: readonly Change[], links: Sendable[]) {
  if (links.length === 0 || changes.length === 0) return
  const texts = await Promise.all(changes.map((c) => plainFrame(ctx, c)))
  for (const t of texts) for (const l of links) l.send(t)
}

/**
 * USER_ADVERTISE (key in `pubkey` and `meta.pubkey`, spec-notes §5.2; the name as `meta.display_name`
 * and as `meta.username`, which Group 43 reads) or USER_REMOVE.
 */
async function plainFrame(ctx: ServerContext, c: Change): Promise<string> {
  const text = c.online
    ? await ctx.outbox.frame('USER_ADVERTISE', '*', {
        user_id: c.user.user_id,
        server_id: ctx.me.serverId,
        pubkey: c.user.pubkey,
        meta: { display_name: c.user.username, username: c.user.username, pubkey: c.user.pubkey },
      })
    : await ctx.outbox.frame('USER_REMOVE', '*', { user_id: c.userId, server_id: ctx.me.serverId })
  return text
}

function presencePayload(changes: readonly Change[]) {
  return {
    online: changes.flatMap((c) => (c.online ? [c.user] : [])),
    offline: changes.flatMap((c) => (c.online ? [] : [{ user_id: c.userId, server_id: c.serverId }])),
  }
}

/** USER_PRESENCE to the clients that follow everyone, for changes they got no batch of. */
async function toFollowers(ctx: ServerContext, changes: readonly Change[]): Promise<void> {
  if (ctx.feed.everyone.size === 0 || changes.length === 0) return
  for (const part of chunks(changes, MAX_PAGE_USERS))
    ctx.feed.toEveryone(await ctx.outbox.frame('USER_PRESENCE', '*', presencePayload(part)))
}

/**
 * Contacts-mode clients: only the users each watches. Two watchers of the same users get the
 * same payload, so the Outbox's memo signs it once.
 */
async function toWatchers(ctx: ServerContext, changes: readonly Change[]): Promise<void> {
  const watched = ctx.feed.watchersOf(changes)
  await Promise.all(
    [...watched].map(async ([link, mine]) => {
      for (const part of chunks(mine, MAX_PAGE_USERS))
        link.send(await ctx.outbox.frame('USER_PRESENCE', '*', presencePayload(part)))
    }),
  )
}
