/**
 * @module Sending a file (docs/wire.md §7): a signed manifest, 446-byte RSA-OAEP chunks paced by
 * the socket's send buffer, and one file-end signature over the digest of every chunk.
 */

import { randomUUID } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import {
  b64uEncode,
  chunkDigest,
  encrypt,
  fileEndPreimage,
  fileStartPreimage,
  type PrivateKey,
  type PublicKey,
  signContent,
  signPayload,
} from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import type { ClientFrame, ClientFrameType, DeliveryStatus } from '../protocol/index.ts'
import { CHUNK_BYTES, DEFAULT_FILE_LIMITS, sha256Hex } from './_files.ts'
import type { Emitter } from './events.ts'

export type FileSendContext = {
  /** Sends one frame; resolves when our server acknowledged it (docs/wire.md §11). */
  send<K extends ClientFrameType>(frame: ClientFrame<K>): Promise<DeliveryStatus>
  /** Waits for room in the socket buffer (across a reconnect). */
  drain(): Promise<void>
  key: PrivateKey
  me: string
  /** The corrected clock (server time) for `ts`. */
  now: () => number
  /** Stops the transfer between chunks (/cancel); what was sent stays sent, FILE_END never comes. */
  signal?: AbortSignal
  /** Told the file id before the first frame, so the transfer can be listed and cancelled. */
  started?: (fileId: string, name: string) => void
  /** Receives `file-progress` and `file-failed` (direction `out`). */
  events: Pick<Emitter, 'emit'>
}

/** `queued`: the recipient was offline, their home server keeps the file until they log in. */
export type SentFile = { fileId: string; name: string; size: number; chunks: number; queued: boolean }

/** Reads a regular file of at most `maxBytes`. @throws ChatError('BAD_REQUEST' | 'TOO_LARGE'). */
async function readSource(path: string, maxBytes: number): Promise<Uint8Array> {
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(path)
  } catch {
    throw new ChatError('BAD_REQUEST', `cannot read ${path}`)
  }
  if (!info.isFile()) throw new ChatError('BAD_REQUEST', `${path} is not a regular file`)
  if (info.size > maxBytes) throw new ChatError('TOO_LARGE', `${path} is larger than ${maxBytes} bytes`)
  return new Uint8Array(await Bun.file(path).arrayBuffer())
}

/**
 * Chunks per second at most. The server handles a user link's frames one at a time and drops
 * frames beyond its per-link budget (src/server/link.ts `USER_RATE`: 400/s, burst 800) instead of
 * pushing back, and on a fast network the socket buffer never fills, so `drain()` alone let any
 * file over ~800 chunks (≈ 350 KB) lose chunks. Nothing acknowledges chunks to pace by (yet).
 */
export const CHUNKS_PER_SEC = 250

export type Recipient = { userId: string; username: string; pubkey: PublicKey }
export type Progress = (done: number, total: number) => void

/**
 * Sends `path` to one user; resolves once every frame has left the socket buffer. Progress goes
 * to `onProgress(done, total)` and to `file-progress` events; a failure also to `file-failed`.
 */
export async function sendFile(
  ctx: FileSendContext,
  to: Recipient,
  path: string,
  onProgress?: Progress,
): Promise<SentFile> {
  const file_id = randomUUID()
  ctx.started?.(file_id, basename(path))
  const peer = { fileId: file_id, direction: 'out' as const, peer: to.userId, peerName: to.username }
  const progress = (done: number, total: number) => {
    onProgress?.(done, total)
    ctx.events.emit('file-progress', { ...peer, done, total })
  }
  try {
    return await transfer(ctx, to, path, file_id, progress)
  } catch (e) {
    ctx.events.emit('file-failed', { ...peer, reason: e instanceof Error ? e.message : String(e) })
    throw e
  }
}

async function transfer(
  ctx: FileSendContext,
  to: Recipient,
  path: string,
  file_id: string,
  onProgress: Progress,
) {
  const data = await readSource(path, DEFAULT_FILE_LIMITS.maxBytes)
  const { key, me } = ctx
  const acks: Promise<DeliveryStatus>[] = []
  const name = basename(path)
  const size = data.byteLength
  const chunks = Math.ceil(size / CHUNK_BYTES)
  const sha256 = sha256Hex(data)
  const ts = ctx.now()
  const manifest = { file_id, name, size, sha256, mode: 'dm' as const, chunks }
  const startSig = await signContent(key, fileStartPreimage({ from: me, to: to.userId, ts }, manifest))
  const start = { ...manifest, sender_pub: key.publicKey.spki, content_sig: startSig }
  acks.push(
    ctx.send({
      type: 'FILE_START',
      from: me,
      to: to.userId,
      ts,
      payload: start,
      sig: await signPayload(key, start),
    }),
  )

  // Chunks carry no signature of their own: FILE_END's covers all of them (docs/wire.md §7).
  const cts: Uint8Array[] = []
  let due = performance.now()
  for (let index = 0; index < chunks; index++) {
    const ct = encrypt(to.pubkey, data.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES))
    cts.push(ct)
    if (ctx.signal?.aborted) throw new ChatError('BAD_REQUEST', 'cancelled')
    await ctx.drain()
    // Paced; after a stall at most 50 ms are caught up at once (a burst the server's bucket absorbs).
    due = Math.max(due + 1000 / CHUNKS_PER_SEC, performance.now() - 50)
    if (due - performance.now() > 10) await Bun.sleep(due - performance.now())
    const payload = { file_id, index, ciphertext: b64uEncode(ct) }
    acks.push(ctx.send({ type: 'FILE_CHUNK', from: me, to: to.userId, ts: ctx.now(), payload }))
    onProgress(index + 1, chunks)
  }

  const digest = chunkDigest(cts)
  const endSig = await signContent(key, fileEndPreimage({ from: me, to: to.userId, file_id, chunks, digest }))
  const end = { file_id, chunks, content_sig: endSig }
  acks.push(
    ctx.send({
      type: 'FILE_END',
      from: me,
      to: to.userId,
      ts: ctx.now(),
      payload: end,
      sig: await signPayload(key, end),
    }),
  )
  // Done only when our server took every frame: a refused chunk fails the transfer here.
  const statuses = await Promise.all(acks)
  if (chunks === 0) onProgress(0, 0)
  const queued = statuses.includes('queued')
  return { fileId: file_id, name, size, chunks, queued } satisfies SentFile
}
