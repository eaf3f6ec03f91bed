/** @module What a user-link handler receives besides its frame. */

import type { Handlers, UserToServerFrame } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'
import type { Acks } from './acks.ts'
import type { Login } from './login.ts'

/**
 * `login` is the link's own state machine; `acks` its pending delivery acknowledgements; `raw` the
 * payload exactly as received, for signatures.
 */
export type UserCall = {
  ctx: ServerContext
  link: Link
  login: Login
  acks: Acks
  raw: Record<string, unknown>
}
export type UserFrame<K extends UserToServerFrame['type']> = Extract<UserToServerFrame, { type: K }>
export type UserHandlers = Handlers<UserToServerFrame, UserCall>

/** ±5 minutes around the server clock (PROTOCOL.md §5). */
export const FRESHNESS_MS = 5 * 60_000
