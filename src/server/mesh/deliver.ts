/**
 * @module SERVER_DELIVER from another server (PROTOCOL.md §4 "Delivery"): checked against the
 * sender's directory key, then handed to the local user as the original frame type with the
 * original `from`/`ts`, or kept for them when they are offline. Never decrypted, never relayed.
 */

import {
  fileStartPreimage,
  importPublicKey,
  verifyContent,
  verifyDm,
  verifyPublic,
} from '../../crypto/index.ts'
import { deliverPublicLocally } from '../fanout.ts'
import { toLocalUser } from '../hand-on.ts'
import { spkiOrNull } from '../keys.ts'
import { frameOf, type Kept } from '../mailbox.ts'
import type { MeshCall, MeshFrame } from './_types.ts'
import { pinFirstSenderKey } from './directory.ts'

/** Server-to-server skew we tolerate on the original user ts (user links allow ±5 minutes). */
const SERVER_FRESHNESS_MS = 10 * 60_000

export async function onServerDeliver(f: MeshFrame<'SERVER_DELIVER'>, call: MeshCall): Promise<void> {
  const { ctx } = call
  const p = f.payload
  if (Math.abs(f.ts - Date.now()) > SERVER_FRESHNESS_MS)
    return ctx.log.warn(`dropped a stale SERVER_DELIVER from ${f.from}`)
  const sender =
    ctx.store.directory.byId(p.sender) ??
    ('sender_pub' in p && p.sender_pub ? pinFirstSenderKey(ctx, f.from, p.sender, p.sender_pub) : null)
  const key = sender ? importPublicKey(sender.pubkey) : null
  // With a directory key, a forged content signature stops here; without one (another
  // implementation's user, not keyed yet) the recipient's client checks it against its pin.
  const forged = (why: string) => ctx.log.warn(`dropped SERVER_DELIVER from ${f.from}: ${why}`)
  // A sender without a directory key is spoken for only by their own server (the one that
  // advertised them): any other member could otherwise send in their name unchecked.
  if (!key && ctx.presence.keylessHome(p.sender) !== f.from)
    return ctx.logs.warn(
      `sender|${f.from}`,
      `dropped SERVER_DELIVER from ${f.from}: ${p.sender} is no user of it`,
    )

  if (p.inner_type === 'MSG_PUBLIC_CHANNEL') {
    const items = key
      ? p.items.filter((i) => verifyPublic(key, i.ciphertext, p.sender, f.ts, i.content_sig))
      : p.items
    if (items.length < p.items.length)
      forged(`${p.items.length - items.length} public item(s) with a bad content_sig`)
    return deliverPublicLocally(ctx, f.ts, { sender: p.sender, sender_pub: p.sender_pub }, items)
  }
  if (key && 'sender_pub' in p && p.sender_pub !== undefined && spkiOrNull(p.sender_pub) !== key.spki)
    return forged('sender_pub is not the directory key')
  if (
    key &&
    p.inner_type === 'MSG_DIRECT' &&
    !verifyDm(key, { ...p, from: p.sender, to: p.user_id, ts: f.ts }, true)
  ) {
    return forged('content_sig does not verify')
  }
  if (key && p.inner_type === 'FILE_START') {
    const pre = fileStartPreimage({ from: p.sender, to: p.user_id, ts: f.ts }, p)
    if (!verifyContent(key, pre, p.content_sig)) return forged('file manifest signature does not verify')
  }

  const r = ctx.presence.route(p.user_id)
  if (r.kind === 'unknown') {
    // Kept only when its content signature was checked against the sender's directory key: a
    // member inventing senders would otherwise fill a user's mailbox past every per-sender quota.
    if (!key)
      return ctx.logs.warn(`unkept|${f.from}`, `not kept for ${p.user_id}: unknown sender ${p.sender}`)
    return keepForHomeUser(ctx, f.from, f.ts, p)
  }
  // Never passed on to a third server: every server delivers straight to the recipient's home
  // (PROTOCOL.md §4, full mesh), and a relay would let one peer spend another's link budget.
  if (r.kind === 'remote') return ctx.log.info(`SERVER_DELIVER for ${p.user_id}, who is not here`)
  // A contacts-mode recipient is told when the sender comes and goes from now on (docs/wire.md
  // §14) — only a sender whose content signature we checked: a peer cannot make up whom we watch.
  if (key && (p.inner_type === 'MSG_DIRECT' || p.inner_type === 'FILE_START'))
    ctx.feed.watch(r.link, p.sender, 'heard')
  // Handed over as the original frame: MSG_DIRECT as USER_DELIVER from us, files as themselves
  // with the sender's `from` and `ts` (PROTOCOL.md §3.2). Signing for one origin waits its turn
  // behind other origins' (src/server/fair.ts).
  const k = keptOf(p)
  if (!k) return
  const text = await frameOf(ctx.outbox, p.user_id, f.ts, k, f.from)
  if (toLocalUser(ctx, p.user_id, r.link, text)) return
  // Their link closed while the frame was signed: kept as if they had been offline.
  if (!key) return ctx.logs.warn(`unkept|${f.from}`, `not kept for ${p.user_id}: unknown sender ${p.sender}`)
  keepForHomeUser(ctx, f.from, f.ts, p)
}

/**
 * A DM or file frame for one of our home users who is offline goes to the mailbox (docs/wire.md
 * §12): the sender's server forwarded it here because we are the recipient's home.
 */
function keepForHomeUser(ctx: MeshCall['ctx'], origin: string, ts: number, p: DeliverPayload): void {
  const home = ctx.store.directory.byId(p.user_id)?.serverId === ctx.me.serverId
  if (!home) return ctx.log.info(`SERVER_DELIVER for ${p.user_id}, who is not online`)
  const k = keptOf(p)
  if (!k) return
  try {
    ctx.mailbox.keep(p.user_id, p.sender, ts, k)
  } catch (e) {
    ctx.logs.warn(
      `unkept|${origin}`,
      `not kept for ${p.user_id}: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
}

type DeliverPayload = MeshFrame<'SERVER_DELIVER'>['payload']

function keptOf(p: DeliverPayload): Kept | null {
  switch (p.inner_type) {
    case 'MSG_DIRECT': {
      const { ciphertext, sender, sender_pub, content_sig } = p
      return { type: 'USER_DELIVER', payload: { ciphertext, sender, sender_pub, content_sig } }
    }
    case 'FILE_START': {
      const { user_id, inner_type, ...payload } = p
      return { type: inner_type, payload }
    }
    case 'FILE_CHUNK': {
      const { user_id, inner_type, ...payload } = p
      return { type: inner_type, payload }
    }
    case 'FILE_END': {
      const { user_id, inner_type, ...payload } = p
      return { type: inner_type, payload }
    }
    default:
      return null
  }
}
