/**
 * @module Public-channel delivery to this server's own members, shared by the user path (a local
 * sender) and the mesh path (SERVER_DELIVER from another server) (docs/wire.md §6).
 */

import type { ServerContext } from './context.ts'

export type PublicItem = { member_id: string; ciphertext: string; content_sig: string }

/** One signed frame for all local members of a batch; each member picks its own item. */
export async function deliverPublicLocally(
  ctx: ServerContext,
  ts: number,
  base: { sender: string; sender_pub: string },
  items: PublicItem[],
): Promise<void> {
  const links = items.flatMap((i) => ctx.presence.local.get(i.member_id) ?? [])
  if (links.length === 0) return
  const text = await ctx.outbox.frame(
    'MSG_PUBLIC_CHANNEL',
    'public',
    { ...base, items },
    { ts, from: base.sender },
  )
  for (const l of links) l.send(text)
}
