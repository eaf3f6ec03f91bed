/**
 * @module The session-replacement rule: one live session per user, and the newest login that
 * proved key possession wins. A frozen laptop or a SIGSTOPped client keeps its socket open for
 * minutes; refusing the new login (the old rule) locked the owner out for that long.
 */

import { CLOSE_LOGGED_IN_ELSEWHERE } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'

/**
 * Ends `userId`'s current session on this server, if any and not `link` itself: the old link gets
 * `ERROR LOGGED_IN_ELSEWHERE` and is closed. Its auth stage is reset first, so frames still
 * queued on it are refused and its close does not announce the user as gone.
 */
export async function replaceSession(ctx: ServerContext, userId: string, link: Link): Promise<void> {
  const old = ctx.presence.local.get(userId)
  if (!old || old === link) return
  old.user?.login.reset()
  ctx.log.info(`user ${userId} logged in again from ${link.remote}: closing the older session`)
  await ctx.outbox
    .error(old, 'LOGGED_IN_ELSEWHERE', 'you logged in from another client; this session was closed', userId)
    .catch(() => {})
  old.close(CLOSE_LOGGED_IN_ELSEWHERE, 'logged in elsewhere')
}
