/** @module USER_HELLO: key possession proven, the link is bound to the user (docs/wire.md §3). */

import { importPublicKey, verifyPayload } from '../../crypto/index.ts'
import { ChatError } from '../../errors.ts'
import { signed } from '../context.ts'
import { attachUser } from '../presence.ts'
import { onlineUsers } from '../routing.ts'
import type { UserCall, UserFrame } from './_types.ts'
import { replaceSession } from './sessions.ts'

export async function onUserHello(f: UserFrame<'USER_HELLO'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  const auth = link.auth
  if (auth.stage === 'bound') throw new ChatError('BAD_REQUEST', 'already logged in')
  if (auth.stage !== 'authenticated')
    throw new ChatError('AUTH_FAILED', 'log in or register before USER_HELLO')
  if (f.from !== auth.userId)
    throw new ChatError('AUTH_FAILED', 'USER_HELLO is not for the user who logged in')
  const entry = ctx.store.directory.byId(auth.userId)
  if (!entry) throw new ChatError('AUTH_FAILED', 'account not found')
  // The nonce is single-use: whatever happens next, it cannot be replayed on this link.
  const nonce = auth.nonce
  link.auth = { stage: 'new' }
  const key = importPublicKey(entry.pubkey)
  if (importPublicKey(f.payload.pubkey).spki !== key.spki)
    throw new ChatError('BAD_KEY', 'pubkey is not the registered key')
  if (f.payload.nonce !== nonce || !f.sig || !verifyPayload(key, c.raw, f.sig)) {
    throw new ChatError('INVALID_SIG', 'USER_HELLO must sign the login nonce with the account key')
  }
  // One live session per user: the newest login that proved the key replaces an older one.
  await replaceSession(ctx, auth.userId, link)
  await attachUser(ctx, link, entry)
  const [ack, list] = await Promise.all([
    signed(ctx, 'ACK', entry.userId, { msg_ref: 'USER_HELLO' }),
    signed(ctx, 'USER_LIST', entry.userId, { users: onlineUsers(ctx) }),
  ])
  link.send(ack)
  link.send(list)
}
