/**
 * @module Helpers of a long-lived session: when a closed connection is over for good, how long
 * to wait before the next reconnect attempt, and the directory lookup for users not online.
 */

import { CLOSE_LOGGED_IN_ELSEWHERE, type UserEntryPayload } from '../protocol/index.ts'
import type { Identity } from './auth.ts'
import type { Advertised } from './contacts.ts'
import { type ClientLink, is } from './link.ts'

/**
 * Close codes after which reconnecting cannot help or must not happen: replaced by a newer login
 * (4002), or a policy or size violation (1008, 1009) that a resend would only repeat.
 */
export function endsForGood(code: number): boolean {
  return code === CLOSE_LOGGED_IN_ELSEWHERE || code === 1008 || code === 1009
}

/** 250 ms doubling to 8 s, with ±25 % jitter so a restarted server is not hit by everyone at once. */
export function backoffMs(attempt: number): number {
  const base = Math.min(8_000, 250 * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (0.75 + Math.random() * 0.5))
}

/**
 * USER_LOOKUP → USER_ENTRY (docs/wire.md §12): a user's directory entry, online or not.
 * @throws ChatError('USER_NOT_FOUND') when the directory has no such user.
 */
export async function lookupUser(
  link: ClientLink,
  id: Identity,
  user: string,
  ts: number,
): Promise<Advertised & { online: boolean; pubkey: string }> {
  const q = user.toLowerCase()
  const answer = link.expect(
    (f): f is Extract<typeof f, { type: 'USER_ENTRY' }> =>
      is('USER_ENTRY')(f) && (f.payload.user_id === q || f.payload.username === q),
    { timeoutMs: 10_000 },
  )
  link.send({ type: 'USER_LOOKUP', from: id.userId, to: id.serverId, ts, payload: { user } })
  const p: UserEntryPayload = (await answer).payload
  return {
    userId: p.user_id,
    username: p.username,
    serverId: p.server_id,
    pubkey: p.pubkey,
    online: p.online,
  }
}
