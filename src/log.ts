/** @module A tiny leveled logger to stderr with a component tag; no bare console.* elsewhere. */

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

let threshold: Level = (process.env.SOCP_LOG as Level | undefined) ?? 'info'
let sink: (line: string) => void = (line) => process.stderr.write(`${line}\n`)

/** Sets the minimum level that is written (tests use 'warn' or 'error' to stay quiet). */
export function setLogLevel(level: Level): void {
  threshold = level
}

/** Redirects log lines, e.g. into the client's UI so they do not tear the prompt. */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn
}

export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void>

/** Returns a logger whose lines start with the time, the level and `[component]`. */
export function logger(component: string): Logger {
  const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < (ORDER[threshold] ?? 20)) return
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''
    sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${extra}`)
  }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}
