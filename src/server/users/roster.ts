/**
 * @module The online list as clients read it (docs/wire.md §4, §14): the first page a login gets,
 * paged LIST, and LOOKUP — one user's key, fetched when the client first needs it. Every answer
 * comes from the in-memory roster (src/server/roster.ts), never a query per user.
 */

import { ChatError } from '../../errors.ts'
import { asUuid, MAX_PAGE_USERS } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import type { LoginPage } from '../feed.ts'
import type { OnlineUser } from '../roster.ts'
import type { UserCall, UserFrame } from './_types.ts'

/** Users in the page a login receives: enough for a small mesh, a constant for a large one. */
export const LOGIN_PAGE_USERS = 100

/** The page behind a login's ACK, the same for every login of one presence batch (so signed once). */
export function loginPage(ctx: ServerContext): LoginPage {
  return ctx.feed.loginPage(() => ({
    ...ctx.presence.roster.page('', LOGIN_PAGE_USERS),
    total: ctx.presence.roster.size,
  }))
}

function boundUser(c: UserCall): string {
  const userId = c.login.boundUser
  if (!userId) throw new ChatError('AUTH_FAILED', 'log in first')
  return userId
}

/** LIST {after?, limit?}: one page of the online list, sorted by username. */
export async function onList(f: UserFrame<'LIST'>, c: UserCall): Promise<void> {
  const userId = boundUser(c)
  const { roster } = c.ctx.presence
  const page = roster.page(f.payload.after ?? '', f.payload.limit ?? MAX_PAGE_USERS)
  await c.ctx.outbox.send(c.link, 'USER_LIST', userId, { ...page, total: roster.size })
}

/**
 * LOOKUP {user}: the user's name, server and key, and from now on this link hears when they come
 * and go. A user whose home server's batch has not reached us yet is answered from the directory,
 * so a message that overtook their presence can still be checked by its recipient.
 */
export async function onLookup(f: UserFrame<'LOOKUP'>, c: UserCall): Promise<void> {
  const userId = boundUser(c)
  const { ctx } = c
  const user = ctx.presence.roster.find(f.payload.user) ?? fromDirectory(ctx, f.payload.user)
  if (!user) throw new ChatError('USER_NOT_FOUND', `${f.payload.user} is not online`)
  ctx.feed.watch(c.link, user.user_id)
  await ctx.outbox.send(c.link, 'USER_INFO', userId, user)
}

/** By id only: that is how a recipient asks for a sender's key; a name asks who is online. */
function fromDirectory(ctx: ServerContext, userOrName: string): OnlineUser | undefined {
  const id = asUuid(userOrName)
  const e = id ? ctx.store.directory.byId(id) : null
  return e ? { user_id: e.userId, username: e.username, server_id: e.serverId, pubkey: e.pubkey } : undefined
}
