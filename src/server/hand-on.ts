/**
 * @module Writing a signed DM or file frame to where its recipient is now. It was signed for the
 * link that held the user (or their server) when it arrived; signing takes milliseconds, and a
 * link that closed meanwhile drops whatever is written to it, so the write goes to the link that
 * holds them now — or nowhere, and the caller keeps the frame or says so: `delivered` is never
 * acked for a frame no link took (docs/wire.md §11).
 */

import { ChatError } from '../errors.ts'
import type { ServerContext } from './context.ts'
import type { Link } from './link.ts'

/** Writes `text` to `userId`'s open link here (`signedFor` first); false when they have none. */
export function toLocalUser(ctx: ServerContext, userId: string, signedFor: Link, text: string): boolean {
  const link = signedFor.closed ? ctx.presence.local.get(userId) : signedFor
  if (!link || link.closed) return false
  link.send(text)
  return true
}

/**
 * Writes `text` to server `serverId` (`signedFor` first, else a link to it that formed since).
 * @throws ChatError('USER_NOT_FOUND') when there is none: the recipient cannot be reached.
 */
export function toServer(ctx: ServerContext, serverId: string, signedFor: Link, text: string): void {
  const link = signedFor.closed ? ctx.peers.get(serverId) : signedFor
  if (!link || link.closed)
    throw new ChatError('USER_NOT_FOUND', `the recipient's server ${serverId} became unreachable`)
  link.send(text)
}
