/** @module What a server-link handler receives besides its (verified) frame. */

import type { ServerToServerFrame } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import type { Link } from '../link.ts'
import type { Verified } from '../verified.ts'

export type MeshType = ServerToServerFrame['type']
/** `text` is the frame exactly as received (forwarded to local users unchanged where it may be). */
export type MeshCall = { ctx: ServerContext; link: Link; raw: Record<string, unknown>; text: string }
export type MeshFrame<K extends MeshType> = Verified<Extract<ServerToServerFrame, { type: K }>>
/** Like `Handlers`, but every handler takes only a verified frame (STYLE.md §7). */
export type MeshHandlers = {
  [K in MeshType]: (f: MeshFrame<K>, c: MeshCall) => void | Promise<void>
}
