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
import { type ServerContext, signed } from '../context.ts'
import { route } from '../routing.ts'
import { seenKey } from '../seen.ts'
import { FRESHNESS_MS, type UserCall, type UserFrame } from './_types.ts'

type Routed = { type: string; from: string; to: string; ts: number }

/** Common checks; returns the sender's directory key. */
function admit(f: Routed, c: UserCall, senderPub?: string) {
  const { ctx, link } = c
  if (link.auth.stage !== 'bound') throw new ChatError('AUTH_FAILED', 'log in first')
  if (f.from !== link.auth.userId) throw new ChatError('AUTH_FAILED', 'from must be your own user id')
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

/** Sends a user frame onward: as `localType` to a local user, or inside SERVER_DELIVER. */
async function forward(
  ctx: ServerContext,
  f: Routed,
  localType: string,
  local: Record<string, unknown>,
  remote: Record<string, unknown>,
) {
  const r = route(ctx, f.to)
  if (r.kind === 'unknown') throw new ChatError('USER_NOT_FOUND', `user ${f.to} is not online`)
  if (r.kind === 'local')
    r.link.send(
      await signed(ctx, localType, f.to, local, {
        ts: f.ts,
        from: localType === 'USER_DELIVER' ? ctx.me.serverId : f.from,
      }),
    )
  else
    r.link.send(
      await signed(
        ctx,
        'SERVER_DELIVER',
        r.serverId,
        { user_id: f.to, sender: f.from, ...remote },
        { ts: f.ts },
      ),
    )
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
  await forward(c.ctx, f, 'USER_DELIVER', body, { ...body, inner_type: 'MSG_DIRECT' })
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
  await forward(c.ctx, f, f.type, { ...f.payload, sender: f.from }, { ...f.payload, inner_type: f.type })
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
    const r = route(ctx, item.member_id)
    if (r.kind === 'local') local.push(item)
    else if (r.kind === 'remote') remote.set(r.serverId, [...(remote.get(r.serverId) ?? []), item])
  }
  const base = { sender: f.from, sender_pub: f.payload.sender_pub }
  await Promise.all([
    deliverPublicLocally(ctx, f.from, f.ts, base, local),
    ...[...remote].map(async ([serverId, items]) => {
      const payload = {
        user_id: 'public',
        inner_type: 'MSG_PUBLIC_CHANNEL',
        ...base,
        items,
        ciphertext: '',
        content_sig: '',
      }
      ctx.peers.get(serverId)?.send(await signed(ctx, 'SERVER_DELIVER', serverId, payload, { ts: f.ts }))
    }),
  ])
}

/** One signed frame for all local members of a batch; each member picks its own item. */
export async function deliverPublicLocally(
  ctx: ServerContext,
  sender: string,
  ts: number,
  base: { sender: string; sender_pub: string },
  items: { member_id: string; ciphertext: string; content_sig: string }[],
): Promise<void> {
  const links = items.flatMap((i) => ctx.localUsers.get(i.member_id) ?? [])
  if (links.length === 0) return
  const text = await signed(ctx, 'MSG_PUBLIC_CHANNEL', 'public', { ...base, items }, { ts, from: sender })
  for (const l of links) l.send(text)
}
