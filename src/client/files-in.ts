/**
 * @module Receiving files (docs/wire.md §7): reassembly by index, the manifest and file-end
 * signatures, size and sha256 checks, limits and stall timeouts, and a save path that can only
 * ever be `<downloads>/received_<file_id>`. A transfer costs its sender (issue 15 §4): a minimum
 * chunk size, a per-sender budget, consent for unverified senders, and paced decryption.
 */

import { b64uDecodeCanonical, concatBytes, type PrivateKey, type PublicKey } from '../crypto/index.ts'
import { EarlyChunks } from './_early.ts'
import {
  DEFAULT_FILE_LIMITS,
  endVerifies,
  type FileChunkFrame,
  type FileEndFrame,
  type FileLimits,
  type FileStartFrame,
  isFileId,
  manifestProblem,
  openChunk,
  Pacer,
  saveReceived,
  senderBudgetProblem,
  sha256Hex,
} from './_files.ts'
import type { TrustedSender } from './contacts.ts'
import type { Emitter, SessionEvents } from './events.ts'

/** Files from unverified senders: accepted, refused, or offered (`file-offer`) for a decision. */
export type AcceptFiles = 'all' | 'verified' | 'ask'

export type IncomingDeps = {
  me: string
  downloadsDir: string
  key: PrivateKey
  /** The sender's directory key and name, or why none can be trusted (never the frame's key alone). */
  senderKey: (userId: string, senderPub: string) => Promise<TrustedSender | string>
  /** Receives `file`, `file-offer`, `file-progress` and `file-failed`. */
  events: Pick<Emitter<SessionEvents>, 'emit'>
  limits?: Partial<FileLimits>
  acceptFiles?: AcceptFiles
}

type Transfer = {
  start: FileStartFrame
  senderKey: PublicKey
  fromName: string
  unverified: string | undefined
  /** False while waiting for consent: chunks are kept, not decrypted. */
  accepted: boolean
  /** Settles on consent (true) or refusal (false). */
  consent: PromiseWithResolvers<boolean>
  cts: Map<number, Uint8Array>
  /** Each chunk's plaintext, decrypted as it arrives; `null` once that chunk failed. */
  plain: Map<number, Promise<Uint8Array | null>>
  done: number
  timer: ReturnType<typeof setTimeout>
}

/** Reassembles incoming files. Calls must be made in arrival order, one at a time (the Session's inbox). */
export class IncomingFiles {
  readonly #d: IncomingDeps
  readonly #lim: FileLimits
  readonly #active = new Map<string, Transfer>()
  readonly #early: EarlyChunks
  /** Ids that failed or finished: their stragglers are dropped quietly instead of reported again. */
  readonly #finished = new Set<string>()
  readonly #pacer = new Pacer()
  /** Transfers being checked and saved after FILE_END, off the frame queue. */
  readonly #finishing = new Set<Promise<void>>()

  constructor(deps: IncomingDeps) {
    this.#d = deps
    this.#lim = { ...DEFAULT_FILE_LIMITS, ...deps.limits }
    this.#early = new EarlyChunks(this.#lim)
  }

  /** Resolves once every transfer whose FILE_END arrived has been saved or has failed. */
  async idle(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled([...this.#finishing])
  }

  /** FILE_START: check the manifest and its signature, then replay any chunks that came early. */
  async start(f: FileStartFrame): Promise<void> {
    const p = f.payload
    if (this.#finished.has(p.file_id) || this.#active.has(p.file_id)) {
      return this.#report(p.file_id, f.from, f.from, 'duplicate file id')
    }
    // A refused manifest also refuses its chunks, so they are not buffered as early ones.
    const fail = (reason: string, name = f.from) => {
      this.#early.take(p.file_id)
      this.#markFinished(p.file_id)
      this.#report(p.file_id, f.from, name, reason)
    }
    if (!isFileId(p.file_id)) return this.#report(p.file_id, f.from, f.from, 'file id is not a UUID')
    if (f.to !== this.#d.me) return fail('not addressed to us')
    const sender = await this.#d.senderKey(f.from, p.sender_pub)
    if (typeof sender === 'string') return fail(sender)
    const problem = manifestProblem(f, sender.key, this.#lim)
    if (problem) return fail(problem, sender.name)
    if (this.#active.size >= this.#lim.maxActive) return fail('too many transfers at once', sender.name)
    const budget = this.#overBudget(f.from, p.size)
    if (budget) return fail(budget, sender.name)
    const policy = this.#d.acceptFiles ?? 'all'
    if (sender.unverified !== undefined && policy === 'verified') {
      return fail('refused: files are accepted only from verified contacts (/verify)', sender.name)
    }
    const t: Transfer = {
      start: f,
      senderKey: sender.key,
      fromName: sender.name,
      unverified: sender.unverified,
      accepted: sender.unverified === undefined || policy === 'all',
      consent: Promise.withResolvers<boolean>(),
      cts: new Map(),
      plain: new Map(),
      done: 0,
      timer: this.#stallTimer(p.file_id),
    }
    this.#active.set(p.file_id, t)
    if (!t.accepted) this.#offer(t)
    for (const c of this.#early.take(p.file_id)) this.chunk(c)
    if (p.chunks === 0) this.#progress(t)
  }

  /** FILE_CHUNK: store it by index and start decrypting it; early chunks wait (bounded). */
  chunk(f: FileChunkFrame): void {
    const { file_id, index, ciphertext } = f.payload
    if (this.#finished.has(file_id)) return
    const t = this.#active.get(file_id)
    if (!t) return this.#early.hold(f)
    const fail = (reason: string) => this.#fail(t, reason)
    if (f.from !== t.start.from || f.to !== t.start.to) return fail('a chunk came from someone else')
    t.timer.refresh()
    if (index >= t.start.payload.chunks) return fail(`chunk index ${index} out of range`)
    let ct: Uint8Array
    try {
      ct = b64uDecodeCanonical(ciphertext)
    } catch {
      return fail(`chunk ${index} is not canonical base64url`)
    }
    const seen = t.cts.get(index)
    if (seen)
      return Buffer.compare(seen, ct) === 0 ? undefined : fail(`chunk ${index} arrived twice, different`)
    t.cts.set(index, ct)
    if (t.accepted) this.#decrypt(t, index, ct)
  }

  /** FILE_END: all chunks present and the end signature over their digest; then #finish saves. */
  end(f: FileEndFrame): void {
    const { file_id, chunks } = f.payload
    if (this.#finished.has(file_id)) return
    const t = this.#active.get(file_id)
    if (!t) return this.#report(file_id, f.from, f.from, 'FILE_END for an unknown transfer')
    const fail = (reason: string) => this.#fail(t, reason)
    const m = t.start.payload
    if (f.from !== t.start.from || f.to !== t.start.to) return fail('FILE_END came from someone else')
    if (chunks !== m.chunks) return fail(`FILE_END says ${chunks} chunks, the manifest ${m.chunks}`)
    if (t.cts.size !== chunks) return fail(`incomplete: ${t.cts.size} of ${chunks} chunks arrived`)
    const ordered = Array.from({ length: chunks }, (_, i) => t.cts.get(i)!)
    if (!endVerifies(f, t.senderKey, ordered)) {
      return fail('file-end signature does not verify (a chunk was altered or reordered)')
    }
    // Decrypting and saving go on off the frame queue: a large file never holds up the DMs behind it.
    const job = this.#finish(t, f).finally(() => this.#finishing.delete(job))
    this.#finishing.add(job)
  }

  /** Waits for consent and every chunk's plaintext, then checks size and sha256 and saves. */
  async #finish(t: Transfer, f: FileEndFrame): Promise<void> {
    const { file_id, chunks } = f.payload
    const m = t.start.payload
    const fail = (reason: string) => this.#fail(t, reason)
    if (!t.accepted && !(await t.consent.promise)) return
    const parts = await Promise.all(Array.from({ length: chunks }, (_, i) => t.plain.get(i)!))
    if (this.#active.get(file_id) !== t) return
    const ok = parts.filter((p): p is Uint8Array => p !== null)
    if (ok.length !== chunks) return
    const data = concatBytes(...ok)
    if (data.byteLength !== m.size) return fail(`size is ${data.byteLength}, the manifest says ${m.size}`)
    if (sha256Hex(data) !== m.sha256) return fail('sha256 does not match the manifest')
    let path: string
    try {
      path = await saveReceived(this.#d.downloadsDir, file_id, data)
    } catch (e) {
      return fail(`could not save it: ${e instanceof Error ? e.message : 'write failed'}`)
    }
    this.#forget(t)
    this.#d.events.emit('file', {
      from: f.from,
      fromName: t.fromName,
      fileId: file_id,
      path,
      name: m.name,
      size: m.size,
      ...(t.unverified !== undefined && { unverified: t.unverified }),
    })
  }

  /** Why a sender may not start another transfer now, or null (issue 15 §4: per-sender budget). */
  #overBudget(from: string, size: number): string | null {
    const mine = [...this.#active.values()].filter((t) => t.start.from === from)
    return senderBudgetProblem(
      mine.map((t) => t.start.payload.size),
      size,
      this.#lim,
    )
  }

  /** Asks the user about a file from an unverified sender; nothing is decrypted before a yes. */
  #offer(t: Transfer): void {
    const p = t.start.payload
    this.#d.events.emit('file-offer', {
      fileId: p.file_id,
      from: t.start.from,
      fromName: t.fromName,
      unverified: t.unverified ?? '',
      name: p.name,
      size: p.size,
    })
  }

  /**
   * The user's answer to a `file-offer`: `fileId` may be the first characters of an id, or left
   * out for the newest offer waiting. Returns the offer decided, or null when no single offer
   * matches.
   */
  decide(fileId: string | undefined, accept: boolean): { fileId: string; name: string } | null {
    const waiting = [...this.#active.values()].filter((t) => !t.accepted)
    const id = fileId?.toLowerCase()
    const matches =
      id === undefined ? waiting.slice(-1) : waiting.filter((t) => t.start.payload.file_id.startsWith(id))
    const t = matches.length === 1 ? matches[0]! : null
    if (!t) return null
    const decided = { fileId: t.start.payload.file_id, name: t.start.payload.name }
    if (!accept) {
      this.#fail(t, 'declined')
      return decided
    }
    t.accepted = true
    t.consent.resolve(true)
    for (const [i, ct] of t.cts) this.#decrypt(t, i, ct)
    return decided
  }

  /** Decrypts one chunk through the pacer; a short non-final chunk fails the transfer. */
  #decrypt(t: Transfer, index: number, ct: Uint8Array): void {
    const live = () => this.#active.get(t.start.payload.file_id) === t
    const last = index === t.start.payload.chunks - 1
    const opened = openChunk(this.#pacer, this.#d.key, ct, {
      index,
      last,
      min: this.#lim.minChunkBytes,
      live,
    })
    t.plain.set(
      index,
      opened.then((r) => {
        if (typeof r === 'string') {
          this.#fail(t, r)
          return null
        }
        if (r !== null) {
          t.done++
          this.#progress(t)
        }
        return r
      }),
    )
  }

  /** Drops every transfer in progress (the session closed). */
  dispose(): void {
    for (const t of this.#active.values()) clearTimeout(t.timer)
    this.#active.clear()
    this.#early.clear()
  }

  #stallTimer(fileId: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      const t = this.#active.get(fileId)
      if (t) this.#fail(t, `stalled: nothing arrived for ${Math.round(this.#lim.stallMs / 1000)} s`)
    }, this.#lim.stallMs)
    timer.unref?.()
    return timer
  }

  #progress(t: Transfer): void {
    const { file_id, chunks } = t.start.payload
    this.#d.events.emit('file-progress', {
      fileId: file_id,
      direction: 'in',
      peer: t.start.from,
      peerName: t.fromName,
      done: t.done,
      total: chunks,
    })
  }

  #forget(t: Transfer): void {
    clearTimeout(t.timer)
    t.consent.resolve(false)
    this.#active.delete(t.start.payload.file_id)
    this.#markFinished(t.start.payload.file_id)
  }

  #markFinished(fileId: string): void {
    this.#finished.add(fileId)
    // Bounded memory: the oldest ids go first.
    if (this.#finished.size > 1024) this.#finished.delete(this.#finished.values().next().value as string)
  }

  #fail(t: Transfer, reason: string): void {
    if (this.#active.get(t.start.payload.file_id) !== t) return
    this.#forget(t)
    this.#report(t.start.payload.file_id, t.start.from, t.fromName, reason)
  }

  #report(fileId: string, peer: string, peerName: string, reason: string): void {
    this.#d.events.emit('file-failed', { fileId, peer, peerName, direction: 'in', reason })
  }
}
