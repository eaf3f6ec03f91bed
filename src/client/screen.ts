/**
 * @module When events may be printed in the interactive client: between prompts, never across
 * one. An event that arrives while the chat prompt is open aborts it (the UI re-opens it with
 * the typed text); one that arrives while a spinner or progress bar owns the line waits.
 */

import type { ClientEvent } from './render.ts'

export class Screen {
  readonly #print: (e: ClientEvent) => void
  #prompt: AbortController | null = null
  #held = 0
  readonly #queue: ClientEvent[] = []

  /** `print` writes one event (the UI's `log.*`). */
  constructor(print: (e: ClientEvent) => void) {
    this.#print = print
  }

  show(e: ClientEvent): void {
    if (this.#prompt === null && this.#held === 0) return this.#print(e)
    this.#queue.push(e)
    this.#prompt?.abort()
  }

  /** An AbortSignal for the next prompt; queued events are printed first. */
  openPrompt(): AbortSignal {
    this.flush()
    this.#prompt = new AbortController()
    return this.#prompt.signal
  }

  /** Aborts the open prompt without an event (the UI re-opens it with another line: Up, Tab). */
  interrupt(): void {
    this.#prompt?.abort()
  }

  closePrompt(): void {
    this.#prompt = null
  }

  /** Keeps events queued while `work` (a spinner, a progress bar) owns the line. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.#held++
    try {
      return await work()
    } finally {
      this.#held--
    }
  }

  flush(): void {
    for (const e of this.#queue.splice(0)) this.#print(e)
  }
}
