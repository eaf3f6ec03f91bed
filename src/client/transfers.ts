/**
 * @module Outgoing file transfers in progress, for `/transfers` and `/cancel`: each one runs in
 * the background with its own AbortSignal, so the prompt stays free while a file goes out.
 */

import { ChatError } from '../errors.ts'
import { type FileSendContext, type Progress, type Recipient, type SentFile, sendFile } from './files-out.ts'

export type Transfer = {
  fileId: string
  to: string
  name: string
  done: number
  total: number
  started: number
}

export class Transfers {
  readonly #active = new Map<string, Transfer & { abort: AbortController }>()

  /** Sends a file to `to`, listed here (with its progress) from its first frame until it ends. */
  async send(
    ctx: Omit<FileSendContext, 'started' | 'signal'>,
    to: Recipient,
    path: string,
    onProgress?: Progress,
  ): Promise<SentFile> {
    let fileId = ''
    let signal: AbortSignal | undefined
    const tracked: FileSendContext = {
      ...ctx,
      started: (id, name) => {
        fileId = id
        signal = this.start({ fileId: id, to: to.username, name })
      },
      get signal() {
        return signal
      },
    }
    const progress = (done: number, total: number) => {
      this.progress(fileId, done, total)
      onProgress?.(done, total)
    }
    try {
      return await sendFile(tracked, to, path, progress)
    } finally {
      this.end(fileId)
    }
  }

  /** Registers a transfer about to start; returns its signal. */
  start(t: Omit<Transfer, 'done' | 'total' | 'started'>): AbortSignal {
    const abort = new AbortController()
    this.#active.set(t.fileId, { ...t, done: 0, total: 0, started: Date.now(), abort })
    return abort.signal
  }

  progress(fileId: string, done: number, total: number): void {
    const t = this.#active.get(fileId)
    if (t) Object.assign(t, { done, total })
  }

  end(fileId: string): void {
    this.#active.delete(fileId)
  }

  /** Every transfer in progress, oldest first. */
  list(): Transfer[] {
    return [...this.#active.values()].map(({ abort, ...t }) => t)
  }

  /**
   * Stops the transfer whose file id starts with `prefix` (the first 8 characters are enough).
   * @throws ChatError('BAD_REQUEST') when none or several match.
   */
  cancel(prefix: string): Transfer {
    const hits = [...this.#active.values()].filter((t) => t.fileId.startsWith(prefix.toLowerCase()))
    if (hits.length !== 1) {
      throw new ChatError(
        'BAD_REQUEST',
        hits.length === 0 ? `no transfer ${prefix}` : `${prefix} is ambiguous`,
      )
    }
    const t = hits[0]!
    t.abort.abort()
    this.#active.delete(t.fileId)
    const { abort, ...rest } = t
    return rest
  }

  cancelAll(): void {
    for (const t of this.#active.values()) t.abort.abort()
    this.#active.clear()
  }
}
