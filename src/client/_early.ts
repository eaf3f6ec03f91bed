/**
 * @module Folder-private: file chunks that arrive before their FILE_START (delivery across
 * servers may reorder), held per file id, bounded in files, chunks and time.
 */

import { type FileChunkFrame, type FileLimits, isFileId } from './_files.ts'

type Early = { from: string; chunks: FileChunkFrame[]; timer: ReturnType<typeof setTimeout> }

export class EarlyChunks {
  readonly #held = new Map<string, Early>()
  readonly #lim: Pick<FileLimits, 'maxEarlyFiles' | 'maxEarlyChunks' | 'stallMs'>

  constructor(lim: Pick<FileLimits, 'maxEarlyFiles' | 'maxEarlyChunks' | 'stallMs'>) {
    this.#lim = lim
  }

  /** Holds a chunk of an unknown file (dropped beyond the bounds, or from another sender). */
  hold(f: FileChunkFrame): void {
    const id = f.payload.file_id
    let e = this.#held.get(id)
    if (!e) {
      if (this.#held.size >= this.#lim.maxEarlyFiles || !isFileId(id)) return
      const timer = setTimeout(() => this.#held.delete(id), this.#lim.stallMs)
      timer.unref?.()
      e = { from: f.from, chunks: [], timer }
      this.#held.set(id, e)
    }
    if (e.from === f.from && e.chunks.length < this.#lim.maxEarlyChunks) e.chunks.push(f)
  }

  /** Takes (and forgets) the chunks held for `fileId`. */
  take(fileId: string): FileChunkFrame[] {
    const e = this.#held.get(fileId)
    if (!e) return []
    clearTimeout(e.timer)
    this.#held.delete(fileId)
    return e.chunks
  }

  clear(): void {
    for (const e of this.#held.values()) clearTimeout(e.timer)
    this.#held.clear()
  }
}
