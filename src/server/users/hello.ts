/** @module USER_HELLO: key possession proven, the link is bound to the user (docs/wire.md §3). */

import { importPublicKey, verifyPayload } from '../../crypto/index.ts'
import { ChatError } from '../../errors.ts'
import { attachUser, detachUser } from '../announce.ts'
import type { UserCall, UserFrame } from './_types.ts'
import { loginPage } from './roster.ts'
import { replaceSession } from './sessions.ts'

/**
 * A client's ACK: only `KEPT` means anything (docs/wire.md §13) — it handled the kept frames
 * handed over on this link up to `upto`, which may now be forgotten. Never answered.
 */
export function onAck(f: UserFrame<'ACK'>, { ctx, link, login }: UserCall): void {
  const user = login.boundUser
  const sent = link.user?.kept.sent ?? 0
  if (f.payload.msg_ref !== 'KEPT' || f.payload.upto === undefined || !user) return
  ctx.mailbox.confirmed(user, f.payload.upto, sent)
}

/**
 * Another open link that holds `userId` here. Asked synchronously right before `attachUser`: an
 * awaited check would let a concurrent login attach in the turn between the answer and ours.
 */
function rivalOf(ctx: UserCall['ctx'], userId: string, link: UserCall['link']): boolean {
  const bound = ctx.presence.local.get(userId)
  return bound !== undefined && bound !== link && !bound.closed
}

export async function onUserHello(f: UserFrame<'USER_HELLO'>, c: UserCall): Promise<void> {
  const { ctx, link, login } = c
  const auth = login.state
  if (auth.stage === 'bound') throw new ChatError('BAD_REQUEST', 'already logged in')
  if (auth.stage !== 'authenticated')
    throw new ChatError('AUTH_FAILED', 'log in or register before USER_HELLO')
  if (f.from !== auth.userId)
    throw new ChatError('AUTH_FAILED', 'USER_HELLO is not for the user who logged in')
  const entry = ctx.store.directory.byId(auth.userId)
  if (!entry) throw new ChatError('AUTH_FAILED', 'account not found')
  // The nonce is single-use: whatever happens next, it cannot be replayed on this link.
  const taken = login.takeNonce()
  if (!taken) throw new ChatError('AUTH_FAILED', 'log in or register before USER_HELLO')
  const { nonce } = taken
  const key = importPublicKey(entry.pubkey)
  if (importPublicKey(f.payload.pubkey).spki !== key.spki)
    throw new ChatError('BAD_KEY', 'pubkey is not the registered key')
  if (f.payload.nonce !== nonce || !f.sig || !verifyPayload(key, c.raw, f.sig)) {
    throw new ChatError('INVALID_SIG', 'USER_HELLO must sign the login nonce with the account key')
  }
  // One live session per user: the newest login that proved the key replaces an older one — also
  // one bound while this login waited (two logins at once: the one bound last wins, and the other
  // is told and closed, or it would act as the user while the mesh sees them elsewhere or gone).
  while (rivalOf(ctx, entry.userId, link)) {
    await replaceSession(ctx, entry.userId, link)
    if (link.closed) {
      // Closed while the old session was told to go: its close found no one bound to detach, and
      // the old one went without a goodbye (it was being replaced). Neither is online now: say so,
      // or the user would stay online on a dead link and DMs to them be acked and lost.
      const stale = ctx.presence.local.get(entry.userId)
      if (stale?.closed) await detachUser(ctx, stale, entry.userId)
      return
    }
  }
  await attachUser(ctx, link, entry)
  // Closed while joining: its close detached the user already; nothing may follow it or be sent.
  if (link.closed) return
  // Follow before the page is taken: every change after it is in a batch this link will hear.
  const mode = f.payload.presence ?? 'all'
  ctx.feed.follow(link, mode)
  // A contacts-mode client is pushed no one it did not ask about, the online list included: it
  // asks with LIST when it wants it (docs/wire.md §4), and a login costs neither side 100 keys.
  const [ack, list] = await Promise.all([
    ctx.outbox.frame('ACK', entry.userId, { msg_ref: 'USER_HELLO' }),
    mode === 'all' ? ctx.outbox.frame('USER_LIST', entry.userId, loginPage(ctx)) : null,
  ])
  link.send(ack)
  if (list !== null) link.send(list)
  // What was kept while the user was offline comes right behind the online list, in order.
  // Whoever wrote is someone a contacts-mode client hears come and go (docs/wire.md §14).
  await ctx.mailbox.handOver(ctx.outbox, link, entry.userId, (sender) =>
    ctx.feed.watch(link, sender, 'heard'),
  )
}
