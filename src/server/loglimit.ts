/**
 * @module Log-line rate limiting per cause and per link: a socket that provokes a warning per
 * frame must not be able to write megabytes of log a second. Each key (cause|link) may log
 * `LINES` lines per window; the rest are counted and summed up as "N similar lines suppressed".
 */

import { BoundedMap } from '../bounded.ts'
import type { Level, Logger } from '../log.ts'

const LINES = 5
const WINDOW_MS = 10_000
/** Keys remembered at once; an evicted key merely starts a fresh window. */
const KEYS = 4_096

type Window = { start: number; lines: number; suppressed: number }

export class LogLimiter {
  readonly #log: Logger
  readonly #windows = new BoundedMap<string, Window>(KEYS)

  constructor(log: Logger) {
    this.#log = log
  }

  /** Logs `msg` at `level` unless `key` used up its lines in this window. */
  line(level: Level, key: string, msg: string, now = Date.now()): void {
    let w = this.#windows.get(key)
    if (!w || now - w.start >= WINDOW_MS) {
      if (w && w.suppressed > 0) this.#log[level](`${w.suppressed} similar lines suppressed (${key})`)
      w = { start: now, lines: 0, suppressed: 0 }
      this.#windows.set(key, w)
    }
    if (w.lines < LINES) {
      w.lines++
      this.#log[level](msg.length > 500 ? `${msg.slice(0, 500)}…` : msg)
    } else w.suppressed++
  }

  warn(key: string, msg: string): void {
    this.line('warn', key, msg)
  }

  debug(key: string, msg: string): void {
    this.line('debug', key, msg)
  }
}
