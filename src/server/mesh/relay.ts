/** @module Passing gossip on: unchanged, to every other server, never back to where it came from. */

import type { MeshCall } from './_types.ts'

/** Relays the frame exactly as received (PROTOCOL.md §4), never to its origin or back on its link. */
export function relay({ ctx, link, text }: MeshCall, origin: string): void {
  ctx.peers.broadcast(text, link, origin)
}
