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
import type { ServerContext } from '../context.ts'
import { deliverPublicLocally } from '../fanout.ts'
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
 * false means a replay (or older than what the cache had to forget), to be dropped quietly.
 */
function firstTime(f: Routed, c: UserCall): boolean {
  if (c.ctx.seen.add(seenKey(f, c.raw), f.ts)) return true
  c.ctx.log.debug(`dropped a replayed ${f.type} from ${f.from}`)
  return false
}

type DirectBody = { ciphertext: string; sender: string; sender_pub: string; content_sig: string }

/** Where a frame for `to` goes; USER_NOT_FOUND when they are online nowhere we can reach. */
function routeTo(ctx: ServerContext, to: string) {
  const r = ctx.presence.route(to)
  if (r.kind === 'unknown') throw new ChatError('USER_NOT_FOUND', `user ${to} is not online`)
  return r
}

/** MSG_DIRECT onward: USER_DELIVER from us to a local user, else inside SERVER_DELIVER. */
async function forwardDirect(ctx: ServerContext, f: Routed, body: DirectBody): Promise<void> {
  const r = routeTo(ctx, f.to)
  if (r.kind === 'local')
    return ctx.outbox.send(r.link, 'USER_DELIVER', f.to, body, { ts: f.ts, owner: f.from })
  const payload = { user_id: f.to, ...body, inner_type: 'MSG_DIRECT' as const }
  await ctx.outbox.send(r.link, 'SERVER_DELIVER', r.serverId, payload, { ts: f.ts, owner: f.from })
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
  await forwardDirect(c.ctx, f, body)
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
  const r = routeTo(ctx, f.to)
  if (r.kind === 'remote') {
    const payload = { user_id: f.to, sender: f.from, ...fileBody(f) }
    return ctx.outbox.send(r.link, 'SERVER_DELIVER', r.serverId, payload, { ts: f.ts, owner: f.from })
  }
  // Files reach a local user as themselves, with the sender's `from` and `ts` (PROTOCOL.md §3.2).
  const opts = { ts: f.ts, from: f.from, owner: f.from }
  switch (f.type) {
    case 'FILE_START':
      return ctx.outbox.send(r.link, f.type, f.to, { ...f.payload, sender: f.from }, opts)
    case 'FILE_CHUNK':
      return ctx.outbox.send(r.link, f.type, f.to, { ...f.payload, sender: f.from }, opts)
    case 'FILE_END':
      return ctx.outbox.send(r.link, f.type, f.to, { ...f.payload, sender: f.from }, opts)
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
