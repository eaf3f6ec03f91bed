/**
 * @module A mirror of the line the user is typing, kept from the same keypress events the prompt
 * reads. When an incoming message interrupts the chat prompt, the prompt is re-opened with this
 * text so nothing typed is lost (the prompt library does not hand back a cancelled value).
 */

import { emitKeypressEvents } from 'node:readline'
import type { Readable, Writable } from 'node:stream'

/** A key as node:readline's `keypress` event describes it. */
export type Key = { name?: string | undefined; ctrl?: boolean | undefined; meta?: boolean | undefined }
export type Draft = { readonly text: string; readonly cursor: number }

const wordStart = (text: string, at: number) => {
  let i = at
  while (i > 0 && text[i - 1] === ' ') i--
  while (i > 0 && text[i - 1] !== ' ') i--
  return i
}

/** Applies one keypress with readline's line-editing meaning; unknown keys change nothing. */
export function applyKey(d: Draft, str: string | undefined, key: Key | undefined): Draft {
  const { text, cursor } = d
  const name = key?.name
  const cut = (from: number, to: number, at: number) => ({
    text: text.slice(0, from) + text.slice(to),
    cursor: at,
  })
  if (key?.ctrl) {
    switch (name) {
      case 'a':
        return { text, cursor: 0 }
      case 'e':
        return { text, cursor: text.length }
      case 'b':
        return { text, cursor: Math.max(0, cursor - 1) }
      case 'f':
        return { text, cursor: Math.min(text.length, cursor + 1) }
      case 'h':
        return cursor > 0 ? cut(cursor - 1, cursor, cursor - 1) : d
      case 'd':
        return cut(cursor, cursor + 1, cursor)
      case 'u':
        return cut(0, cursor, 0)
      case 'k':
        return cut(cursor, text.length, cursor)
      case 'w': {
        const at = wordStart(text, cursor)
        return cut(at, cursor, at)
      }
      default:
        return d
    }
  }
  switch (name) {
    case 'backspace':
      return cursor > 0 ? cut(cursor - 1, cursor, cursor - 1) : d
    case 'delete':
      return cut(cursor, cursor + 1, cursor)
    case 'left':
      return { text, cursor: Math.max(0, cursor - 1) }
    case 'right':
      return { text, cursor: Math.min(text.length, cursor + 1) }
    case 'home':
      return { text, cursor: 0 }
    case 'end':
      return { text, cursor: text.length }
    case 'return':
    case 'enter':
    case 'tab':
    case 'escape':
    case 'up':
    case 'down':
      return d
  }
  // Printable input (also each character of a paste); control characters never enter the line.
  if (!key?.meta && str !== undefined && str.length > 0 && !/[\x00-\x1f\x7f]/.test(str)) {
    return { text: text.slice(0, cursor) + str + text.slice(cursor), cursor: cursor + str.length }
  }
  return d
}

/**
 * An aborted prompt leaves its last frame on screen (bar, message, input line, bar end, and the
 * newline written on close). On a terminal it is erased, so the event prints where the prompt
 * was and the re-opened prompt shows the same text: the line looks merely interrupted.
 */
export function eraseAbortedPrompt(output: Writable, typed: string): void {
  if (!('isTTY' in output) || !output.isTTY) return
  const columns = 'columns' in output && typeof output.columns === 'number' ? output.columns : 80
  const inputRows = Math.max(1, Math.ceil((3 + typed.length + 1) / columns))
  output.write(`\x1b[${4 + inputRows}A\r\x1b[J`)
}

/** Follows the keys typed into the prompt; `stop()` returns the line as it stood. */
export function trackDraft(input: Readable, initial: string): { stop(): Draft; peek(): Draft } {
  let d: Draft = { text: initial, cursor: initial.length }
  const onKey = (str: string | undefined, key: Key | undefined) => {
    d = applyKey(d, str, key)
  }
  emitKeypressEvents(input)
  input.on('keypress', onKey)
  return {
    stop: () => {
      input.off('keypress', onKey)
      return d
    },
    peek: () => d,
  }
}
