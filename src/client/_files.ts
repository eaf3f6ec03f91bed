/**
 * @module Folder-private: what sending and receiving files share (docs/wire.md §7): frame types,
 * limits, the manifest and file-end checks, and the only path a received file may be saved to.
 */

import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import type { z } from 'zod'
import {
  chunkDigest,
  decrypt,
  fileEndPreimage,
  fileStartPreimage,
  OAEP_MAX_PLAINTEXT,
  type PrivateKey,
  type PublicKey,
  verifyContent,
} from '../crypto/index.ts'
import type { FileChunkFrameSchema, FileEndFrameSchema, FileStartFrameSchema } from '../protocol/index.ts'
import { isUuid } from '../protocol/index.ts'

export type FileStartFrame = z.infer<typeof FileStartFrameSchema>
export type FileChunkFrame = z.infer<typeof FileChunkFrameSchema>
export type FileEndFrame = z.infer<typeof FileEndFrameSchema>

/** "Each chunk holds at most 446 plaintext bytes (the client uses 446)" (docs/wire.md §7). */
export const CHUNK_BYTES = OAEP_MAX_PLAINTEXT

export type FileLimits = {
  /** Largest file sent or accepted, bytes. */
  maxBytes: number
  /** Most chunks one manifest may announce. */
  maxChunks: number
  /** A transfer with no frame for this long is discarded. */
  stallMs: number
  /** Chunks held per file that arrive before its FILE_START (delivery across servers may reorder). */
  maxEarlyChunks: number
  /** Distinct unknown file ids buffered at once. */
  maxEarlyFiles: number
  /** Transfers in progress at once. */
  maxActive: number
  /** Every chunk but the last must hold at least this many plaintext bytes: a sender pays per decryption. */
  minChunkBytes: number
  /** Transfers in progress at once from one sender. */
  perSenderActive: number
  /** Bytes (by manifest) in progress at once from one sender. */
  perSenderBytes: number
}

export const DEFAULT_FILE_LIMITS: FileLimits = {
  maxBytes: 100 * 1024 * 1024,
  maxChunks: 1 << 20,
  stallMs: 60_000,
  maxEarlyChunks: 256,
  maxEarlyFiles: 8,
  maxActive: 16,
  minChunkBytes: 256,
  perSenderActive: 2,
  perSenderBytes: 32 * 1024 * 1024,
}

/** File ids are UUID v4 like every other id (PROTOCOL.md §2). */
export const isFileId = (id: string): boolean => isUuid(id)

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Why a manifest is refused, or `null`: its signature (by the directory key), size and chunk count. */
export function manifestProblem(f: FileStartFrame, key: PublicKey, lim: FileLimits): string | null {
  const { size, chunks } = f.payload
  const preimage = fileStartPreimage(f, f.payload)
  if (!verifyContent(key, preimage, f.payload.content_sig)) return 'manifest signature does not verify'
  if (size > lim.maxBytes) return `too large: ${size} bytes (at most ${lim.maxBytes})`
  // Each chunk holds minChunkBytes…446 bytes (the last 1…446), so the count is bounded by the size
  // both ways: an RSA decryption costs the sender at least minChunkBytes of real file (issue 15 §4).
  const most = Math.max(Math.ceil(size / lim.minChunkBytes), size > 0 ? 1 : 0)
  if (chunks < Math.ceil(size / CHUNK_BYTES) || chunks > most || chunks > lim.maxChunks) {
    return `implausible chunk count ${chunks} for ${size} bytes`
  }
  return null
}

/**
 * Chunk decryptions one at a time, each after a turn of the event loop: a flood of chunks keeps
 * at most one RSA decryption in flight, so DMs (decrypted outside this queue) stay responsive.
 */
export class Pacer {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(job: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(async () => {
      await new Promise((r) => setImmediate(r))
      return job()
    })
    this.#tail = p.catch(() => {})
    return p
  }
}

/** Why one more transfer of `size` bytes from a sender with transfers of `sizes` is refused, or null. */
export function senderBudgetProblem(sizes: readonly number[], size: number, lim: FileLimits): string | null {
  if (sizes.length >= lim.perSenderActive) return 'too many transfers from this sender at once'
  if (sizes.reduce((n, s) => n + s, size) > lim.perSenderBytes)
    return 'this sender has too many bytes in flight'
  return null
}

/**
 * Decrypts one chunk through the pacer: its plaintext, why the transfer fails (a chunk that does
 * not open, or a short one before the last), or null when the transfer ended meanwhile.
 */
export async function openChunk(
  pacer: Pacer,
  key: PrivateKey,
  ct: Uint8Array,
  o: { index: number; last: boolean; min: number; live: () => boolean },
): Promise<Uint8Array | string | null> {
  let bytes: Uint8Array
  try {
    const r = await pacer.run(async () => (o.live() ? decrypt(key, ct) : null))
    if (r === null) return null
    bytes = r
  } catch {
    return `chunk ${o.index} does not decrypt (corrupted or tampered)`
  }
  if (bytes.byteLength === 0 || bytes.byteLength > CHUNK_BYTES) {
    return `chunk ${o.index} does not decrypt (corrupted or tampered)`
  }
  if (!o.last && bytes.byteLength < o.min) {
    return `chunk ${o.index} holds ${bytes.byteLength} bytes, under the minimum ${o.min}`
  }
  return bytes
}

/** True when the FILE_END signature covers exactly these ciphertexts, in index order. */
export function endVerifies(f: FileEndFrame, key: PublicKey, ordered: readonly Uint8Array[]): boolean {
  const { file_id, chunks, content_sig } = f.payload
  const digest = chunkDigest(ordered)
  return verifyContent(key, fileEndPreimage({ from: f.from, to: f.to, file_id, chunks, digest }), content_sig)
}

/**
 * The one place a received file may be written: `<dir>/received_<file_id>`. The id must be a
 * lowercase UUID and the resolved path must stay inside `dir`; the sender's `name` is never used.
 * @throws Error otherwise.
 */
export function receivedPath(dir: string, fileId: string): string {
  if (!isFileId(fileId)) throw new Error('file_id is not a UUID')
  const root = resolve(dir)
  const path = resolve(root, `received_${fileId}`)
  if (!path.startsWith(root + sep)) throw new Error('path escapes the downloads folder')
  return path
}

/** Writes a received file; `wx` never overwrites and never follows a planted symlink. */
export async function saveReceived(dir: string, fileId: string, data: Uint8Array): Promise<string> {
  const path = receivedPath(dir, fileId)
  await mkdir(dir, { recursive: true })
  await writeFile(path, data, { flag: 'wx', mode: 0o600 })
  return path
}
