/**
 * @module A tiny leveled logger with a component tag; no bare console.* elsewhere. Each server
 * gets its own (`logger(component, level)`), so servers in one process do not share a level.
 */

import { z } from 'zod'

export const LevelSchema = z.enum(['debug', 'info', 'warn', 'error'])
export type Level = z.infer<typeof LevelSchema>
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/**
 * The process default for loggers made without a level (the client, the store, tests); the CLI
 * and the benchmarks set it. Where lines go is process-wide: the client's UI redirects them.
 */
const defaults: { level: Level; sink: (line: string) => void } = {
  level: 'info',
  sink: (line) => process.stderr.write(`${line}\n`),
}

/** Sets the level of loggers made without one (tests use 'warn' or 'error' to stay quiet). */
export function setLogLevel(level: Level): void {
  defaults.level = level
}

/** Redirects log lines, e.g. into the client's UI so they do not tear the prompt. */
export function setLogSink(fn: (line: string) => void): void {
  defaults.sink = fn
}

export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void>

/**
 * Returns a logger whose lines start with the time, the level and `[component]`. With `level`, it
 * keeps that level for life; without, it follows `setLogLevel`.
 */
export function logger(component: string, level?: Level): Logger {
  const emit = (at: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level ?? defaults.level]) return
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''
    defaults.sink(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} [${component}] ${msg}${extra}`)
  }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}
