/**
 * @module The non-interactive client (stdin is not a terminal): one command per line, the stable
 * output lines of render.ts, and an exit once stdin ends and every send and transfer finished.
 */

import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { parseCommand } from './commands.ts'
import { execute, type Io } from './controller.ts'
import type { SessionEvents } from './events.ts'
import { type ClientEvent, renderLine } from './render.ts'
import type { Session } from './session.ts'

export type ScriptOptions = {
  input: Readable
  output: Writable
  json: boolean
  password?: string | undefined
  passwordFile?: string | undefined
  /** After stdin ends: wait until nothing arrived for `quietMs`, at most `graceMs`. */
  quietMs?: number
  graceMs?: number
}

// Events a script sees; presence and progress would only be noise in the text form.
const TEXT_EVENTS = [
  'dm',
  'public',
  'file',
  'file-failed',
  'file-offer',
  'error',
  'key-changed',
  'closed',
] as const
const JSON_EVENTS = [...TEXT_EVENTS, 'presence'] as const

/** Reads commands from `input` until it ends; returns the exit code (1 if a command failed or the link died). */
export async function runScript(session: Session, o: ScriptOptions): Promise<number> {
  const print = (e: ClientEvent) => {
    const line = renderLine(e, o.json)
    if (line !== null) o.output.write(`${line}\n`)
  }
  let lastEvent = Date.now()
  let closed = false
  const lines = createInterface({ input: o.input, crlfDelay: Number.POSITIVE_INFINITY })
  for (const name of o.json ? JSON_EVENTS : TEXT_EVENTS) {
    session.on(name, (e: SessionEvents[typeof name]) => {
      lastEvent = Date.now()
      // The session is over (e.g. logged in elsewhere): stop reading stdin and exit, no reconnect.
      if (name === 'closed') {
        closed = true
        lines.close()
      }
      print({ type: name, ...e } as ClientEvent)
    })
  }
  session.on('file-progress', () => {
    lastEvent = Date.now()
  })

  let password: string | null | undefined
  const io: Io = {
    print,
    password: async () => (password ??= await loadPassword(o, print)),
    username: async () => {
      print({
        type: 'error',
        code: 'BAD_REQUEST',
        detail: 'usage: /register <username> (no prompts without a terminal)',
      })
      return null
    },
    busy: (_label, work) => work(),
    progress: () => ({ update() {}, stop() {} }),
  }

  let failed = false
  for await (const raw of lines) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const parsed = parseCommand(line)
    if (!parsed.ok) {
      print({ type: 'error', code: 'BAD_REQUEST', detail: parsed.error })
      failed = true
      continue
    }
    const outcome = await execute(parsed.command, session, io)
    if (outcome === 'failed') failed = true
    if (outcome === 'quit' || closed) break
  }
  lines.close()

  if (!closed) {
    await session.flush()
    await quiet(() => lastEvent, o.quietMs ?? 300, o.graceMs ?? 2_000)
  }
  await session.close()
  return failed || closed ? 1 : 0
}

async function loadPassword(o: ScriptOptions, print: (e: ClientEvent) => void): Promise<string | null> {
  if (o.password !== undefined) return o.password
  if (o.passwordFile !== undefined) {
    try {
      // Only the line ending is dropped: spaces may be part of the password.
      return (await readFile(o.passwordFile, 'utf8')).replace(/\r?\n$/, '')
    } catch {
      print({ type: 'error', code: 'BAD_REQUEST', detail: `cannot read the password file ${o.passwordFile}` })
      return null
    }
  }
  print({
    type: 'error',
    code: 'BAD_REQUEST',
    detail: 'no password: use --password-file FILE or set SOCP_PASSWORD',
  })
  return null
}

/** Resolves once `last()` is `quietMs` in the past, or after `maxMs`. */
async function quiet(last: () => number, quietMs: number, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs
  while (Date.now() < end && Date.now() - last() < quietMs) await Bun.sleep(25)
}
