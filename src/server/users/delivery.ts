/**
 * @module What a logged-in user sends for others: MSG_DIRECT, files and the public channel
 * (PROTOCOL.md §5). Each frame is checked — sender, freshness, replay, sender key, content
 * signature — before anything is routed; the server never decrypts.
 */

import {
  fileStartPreimage,
  importPublicKey,
  verifyContent,
  verifyDm,
  verifyPublic,
} from '../../crypto/index.ts'
import { ChatError } from '../../errors.ts'
import { type DeliveryAck, type DeliveryStatus, deliveryRef } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import { deliverPublicLocally } from '../fanout.ts'
import { toLocalUser, toServer } from '../hand-on.ts'
import type { Link } from '../link.ts'
import { frameOf, type Kept } from '../mailbox.ts'
import { seenKey } from '../seen.ts'
import { FRESHNESS_MS, type UserCall, type UserFrame } from './_types.ts'

type Routed = { type: string; from: string; to: string; ts: number }

/** Common checks; returns the sender's directory key. */
function admit(f: Routed, c: UserCall, senderPub?: string) {
  const { ctx } = c
  const userId = c.login.boundUser
  if (!userId) throw new ChatError('AUTH_FAILED', 'log in first')
  if (f.from !== userId) throw new ChatError('AUTH_FAILED', 'from must be your own user id')
  if (Math.abs(f.ts - Date.now()) > FRESHNESS_MS)
    throw new ChatError('BAD_REQUEST', 'ts is more than 5 minutes off the server clock')
  const entry = ctx.store.directory.byId(f.from)
  if (!entry) throw new ChatError('AUTH_FAILED', 'account not found')
  const key = importPublicKey(entry.pubkey)
  if (senderPub !== undefined && importPublicKey(senderPub).spki !== key.spki) {
    throw new ChatError('INVALID_SIG', 'sender_pub is not your registered key')
  }
  return key
}

/**
 * The replay check, made after the content signature verified so that junk cannot fill the cache;
 * false means a replay (or older than what the cache had to forget), to be dropped quietly — but
 * still acknowledged: a client resending after a lost connection must learn that it was taken.
 */
function firstTime(f: Routed & { payload: unknown }, c: UserCall): boolean {
  if (c.ctx.seen.add(seenKey(f, c.raw), f.ts)) return true
  c.ctx.log.debug(`dropped a replayed ${f.type} from ${f.from}`)
  accepted(c, f, 'delivered')
  return false
}

/** Tells the sender its frame was taken (docs/wire.md §11); batched per link. */
function accepted(c: UserCall, f: { type: string; payload: unknown }, status: DeliveryStatus): void {
  const ref = deliveryRef(f)
  if (ref === null) return
  const to = c.login.boundUser ?? ''
  const send = (acks: DeliveryAck[]) => c.ctx.outbox.send(c.link, 'ACK', to, { msg_ref: 'DELIVERY', acks })
  c.acks.add({ ref, status }, send, c.link.backlog > 1)
}

type DirectBody = { ciphertext: string; sender: string; sender_pub: string; content_sig: string }

/**
 * Where a frame for `to` goes: to them (here or on their server), or — when they are offline — to
 * their home server's mailbox: ours, or theirs through our link to it (docs/wire.md §13).
 */
type Destination =
  | { kind: 'local'; link: Link }
  | { kind: 'remote'; link: Link; serverId: string; queued: boolean }
  | { kind: 'keep' }

function destination(ctx: ServerContext, to: string): Destination {
  const r = ctx.presence.route(to)
  if (r.kind === 'local') return r
  if (r.kind === 'remote') return { ...r, queued: false }
  const entry = ctx.store.directory.byId(to)
  if (!entry) throw new ChatError('USER_NOT_FOUND', `user ${to} is not known`)
  if (entry.serverId === ctx.me.serverId) return { kind: 'keep' }
  const link = ctx.peers.get(entry.serverId)
  if (!link)
    throw new ChatError('USER_NOT_FOUND', `${entry.username} is offline and their server is unreachable`)
  return { kind: 'remote', link, serverId: entry.serverId, queued: true }
}

/**
 * A DM or a file starts or goes on a conversation: a contacts-mode client is told when the other
 * side comes and goes from then on, on both sides here (docs/wire.md §14), as after a LOOKUP.
 */
function conversation(c: UserCall, f: Routed, d: Destination): void {
  c.ctx.feed.watch(c.link, f.to, 'asked')
  if (d.kind === 'local') c.ctx.feed.watch(d.link, f.from, 'heard')
}

/** MSG_DIRECT onward: USER_DELIVER from us to a local user, inside SERVER_DELIVER, or kept. */
async function forwardDirect(c: UserCall, f: UserFrame<'MSG_DIRECT'>, body: DirectBody): Promise<void> {
  const { ctx } = c
  const d = destination(ctx, f.to)
  conversation(c, f, d)
  const keep = () => {
    ctx.mailbox.keep(f.to, f.from, f.ts, { type: 'USER_DELIVER', payload: body })
    accepted(c, f, 'queued')
  }
  if (d.kind === 'keep') return keep()
  const opts = { ts: f.ts, owner: f.from }
  if (d.kind === 'local') {
    const text = await ctx.outbox.frame('USER_DELIVER', f.to, body, opts)
    return toLocalUser(ctx, f.to, d.link, text) ? accepted(c, f, 'delivered') : keep()
  }
  const payload = { user_id: f.to, ...body, inner_type: 'MSG_DIRECT' as const }
  toServer(ctx, d.serverId, d.link, await ctx.outbox.frame('SERVER_DELIVER', d.serverId, payload, opts))
  accepted(c, f, d.queued ? 'queued' : 'delivered')
}

export async function onMsgDirect(f: UserFrame<'MSG_DIRECT'>, c: UserCall): Promise<void> {
  const key = admit(f, c, f.payload.sender_pub)
  if (!verifyDm(key, { ...f.payload, from: f.from, to: f.to, ts: f.ts }))
    throw new ChatError('INVALID_SIG', 'content_sig does not verify')
  if (!firstTime(f, c)) return
  const body = {
    ciphertext: f.payload.ciphertext,
    sender: f.from,
    sender_pub: f.payload.sender_pub,
    content_sig: f.payload.content_sig,
  }
  await forwardDirect(c, f, body)
}

type FileFrame = UserFrame<'FILE_START'> | UserFrame<'FILE_CHUNK'> | UserFrame<'FILE_END'>

/** FILE_START/CHUNK/END go to the recipient as the same type, with the original from and ts. */
export async function onFile(f: FileFrame, c: UserCall): Promise<void> {
  const key = admit(f, c, f.type === 'FILE_START' ? f.payload.sender_pub : undefined)
  if (f.type === 'FILE_START') {
    if (!verifyContent(key, fileStartPreimage(f, f.payload), f.payload.content_sig))
      throw new ChatError('INVALID_SIG', 'file manifest signature does not verify')
  }
  if (!firstTime(f, c)) return
  const { ctx } = c
  const d = destination(ctx, f.to)
  if (f.type === 'FILE_START') conversation(c, f, d)
  const keep = () => {
    ctx.mailbox.keep(f.to, f.from, f.ts, kept(f))
    accepted(c, f, 'queued')
  }
  if (d.kind === 'keep') return keep()
  if (d.kind === 'remote') {
    const payload = { user_id: f.to, sender: f.from, ...fileBody(f) }
    const text = await ctx.outbox.frame('SERVER_DELIVER', d.serverId, payload, { ts: f.ts, owner: f.from })
    toServer(ctx, d.serverId, d.link, text)
    return accepted(c, f, d.queued ? 'queued' : 'delivered')
  }
  // Files reach a local user as themselves, with the sender's `from` and `ts` (PROTOCOL.md §3.2).
  const text = await frameOf(ctx.outbox, f.to, f.ts, kept(f), f.from)
  return toLocalUser(ctx, f.to, d.link, text) ? accepted(c, f, 'delivered') : keep()
}

/** A file frame as its recipient gets it: the same type, `sender` beside the payload. */
function kept(f: FileFrame): Kept {
  switch (f.type) {
    case 'FILE_START':
      return { type: f.type, payload: { ...f.payload, sender: f.from } }
    case 'FILE_CHUNK':
      return { type: f.type, payload: { ...f.payload, sender: f.from } }
    case 'FILE_END':
      return { type: f.type, payload: { ...f.payload, sender: f.from } }
  }
}

/** A file frame's payload tagged with its type, as SERVER_DELIVER carries it (PROTOCOL.md §4). */
function fileBody(f: FileFrame) {
  switch (f.type) {
    case 'FILE_START':
      return { ...f.payload, inner_type: f.type }
    case 'FILE_CHUNK':
      return { ...f.payload, inner_type: f.type }
    case 'FILE_END':
      return { ...f.payload, inner_type: f.type }
  }
}

/**
 * One batch of `/all` (docs/wire.md §6): grouped by destination so each server signs once per
 * batch for its own members and once per other server.
 */
export async function onPublic(f: UserFrame<'MSG_PUBLIC_CHANNEL'>, c: UserCall): Promise<void> {
  const { ctx } = c
  const key = admit({ ...f, to: 'public' }, c, f.payload.sender_pub)
  const bad = f.payload.items.find((i) => !verifyPublic(key, i.ciphertext, f.from, f.ts, i.content_sig))
  if (bad) throw new ChatError('INVALID_SIG', `content_sig for member ${bad.member_id} does not verify`)
  if (!firstTime({ ...f, to: 'public' }, c)) return
  accepted(c, f, 'delivered')
  const local: typeof f.payload.items = []
  const remote = new Map<string, typeof f.payload.items>()
  for (const item of f.payload.items) {
    const r = ctx.presence.route(item.member_id)
    if (r.kind === 'local') local.push(item)
    else if (r.kind === 'remote') remote.set(r.serverId, [...(remote.get(r.serverId) ?? []), item])
  }
  const base = { sender: f.from, sender_pub: f.payload.sender_pub }
  await Promise.all([
    deliverPublicLocally(ctx, f.ts, base, local),
    ...[...remote].map(async ([serverId, items]) => {
      const link = ctx.peers.get(serverId)
      if (!link) return
      const payload = {
        user_id: 'public',
        inner_type: 'MSG_PUBLIC_CHANNEL' as const,
        ...base,
        items,
        ciphertext: '' as const,
        content_sig: '' as const,
      }
      await ctx.outbox.send(link, 'SERVER_DELIVER', serverId, payload, { ts: f.ts, owner: f.from })
    }),
  ])
}
