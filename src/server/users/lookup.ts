/**
 * @module USER_LOOKUP (docs/wire.md §12): a logged-in client asks for the directory entry of a user
 * who may be offline — to verify a DM kept for it while the sender was away, or to write to
 * someone who is not online (their home server keeps it).
 */

import { ChatError } from '../../errors.ts'
import { asUuid } from '../../protocol/index.ts'
import type { UserCall, UserFrame } from './_types.ts'

export async function onUserLookup(f: UserFrame<'USER_LOOKUP'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  const me = c.login.boundUser
  if (!me) throw new ChatError('AUTH_FAILED', 'log in first')
  const q = f.payload.user
  const id = asUuid(q)
  const entry = id ? ctx.store.directory.byId(id) : ctx.store.directory.byUsername(q)
  if (!entry) throw new ChatError('USER_NOT_FOUND', `no user ${q} in the directory`)
  const online = ctx.presence.route(entry.userId).kind !== 'unknown'
  // As with LOOKUP (docs/wire.md §14): a contacts-mode client now hears when this user comes and goes.
  ctx.feed.watch(link, entry.userId)
  await ctx.outbox.send(link, 'USER_ENTRY', me, {
    user_id: entry.userId,
    username: entry.username,
    server_id: entry.serverId,
    pubkey: entry.pubkey,
    online,
  })
}
