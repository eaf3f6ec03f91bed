/**
 * @module What Up, Down and Tab do at the chat prompt, as pure functions the terminal UI calls:
 * recall earlier lines (newest first, the line being typed kept at the bottom) and complete a
 * command word or a user name.
 */

/** Lines entered at the prompt, for Up and Down; bounded, no immediate repeats. */
export class InputHistory {
  readonly #lines: string[] = []
  /** Index into #lines while browsing; #lines.length = the line being typed. */
  #at = 0
  #typed = ''
  readonly #max: number

  constructor(max = 500) {
    this.#max = max
  }

  push(line: string): void {
    if (line.trim() !== '' && this.#lines.at(-1) !== line) this.#lines.push(line)
    if (this.#lines.length > this.#max) this.#lines.shift()
    this.#at = this.#lines.length
    this.#typed = ''
  }

  /** The previous line (Up), or null at the oldest; `current` is kept to come back to. */
  up(current: string): string | null {
    if (this.#at === this.#lines.length) this.#typed = current
    if (this.#at === 0) return null
    this.#at--
    return this.#lines[this.#at] ?? null
  }

  /** The next line (Down), back to what was being typed; null when already there. */
  down(): string | null {
    if (this.#at >= this.#lines.length) return null
    this.#at++
    return this.#at === this.#lines.length ? this.#typed : (this.#lines[this.#at] ?? null)
  }
}

/** The longest common prefix of `words`. */
function common(words: readonly string[]): string {
  let p = words[0] ?? ''
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1)
  return p
}

/**
 * Tab: completes the word under the cursor at the end of `text` — a command word at the start of
 * the line, else a user name — to the longest common prefix of the candidates (adding a space when
 * only one fits). Returns null when nothing completes.
 * @example complete('/te', ['/tell'], []) // '/tell '
 */
export function complete(text: string, commands: readonly string[], names: readonly string[]): string | null {
  const m = /(\S*)$/.exec(text)
  const word = m?.[1] ?? ''
  const head = text.slice(0, text.length - word.length)
  const pool = head.trim() === '' && word.startsWith('/') ? commands : names
  const hits = pool.filter((c) => c.toLowerCase().startsWith(word.toLowerCase()))
  if (hits.length === 0) return null
  const done = hits.length === 1 ? `${hits[0]} ` : common(hits)
  return done.length > word.length || hits.length === 1 ? head + done : null
}
