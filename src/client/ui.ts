/**
 * @module The interactive terminal client, and the only importer of @clack/prompts. Incoming
 * events interrupt the chat prompt through its AbortSignal, are printed with `log.*`, and the
 * prompt re-opens with whatever the user had typed.
 */

import type { Readable, Writable } from 'node:stream'
import { intro, isCancel, log, outro, password, progress, select, spinner, text } from '@clack/prompts'
import { setLogSink } from '../log.ts'
import { isUsername, USERNAME_RULE } from '../protocol/index.ts'
import { type Command, parseCommand } from './commands.ts'
import { execute, type Io, type Progress } from './controller.ts'
import { type Draft, eraseAbortedPrompt, trackDraft } from './draft.ts'
import type { EventName, SessionEvents } from './events.ts'
import { passwordProblem } from './password-policy.ts'
import { type ClientEvent, type Level, renderText } from './render.ts'
import { sanitize } from './sanitize.ts'
import { Screen } from './screen.ts'
import type { Session } from './session.ts'

export type UiOptions = { input: Readable; output: Writable; server: string }

const CANCELLED = Symbol('cancelled')

/** The one place cancel is checked (Ctrl-C, Esc, or our own abort): an answer or CANCELLED. */
async function ask<T>(answer: Promise<T>): Promise<Exclude<T, symbol> | typeof CANCELLED> {
  const v = await answer
  return isCancel(v) ? CANCELLED : (v as Exclude<T, symbol>)
}

const LOG: Record<Level, (msg: string, opts: { output: Writable }) => void> = {
  info: log.info,
  success: log.success,
  warn: log.warn,
  error: log.error,
  message: (msg, opts) => log.message(msg, { ...opts, symbol: '›' }),
}

// --- prompts ---

function uiIo(o: UiOptions, screen: Screen): Io {
  const io = { input: o.input, output: o.output }
  return {
    print: (e) => screen.show(e),
    username: async () => {
      const v = await ask(
        text({
          ...io,
          message: 'Choose a username',
          placeholder: '3–32 letters, digits or _',
          validate: (s) => (s && isUsername(s) ? undefined : USERNAME_RULE),
        }),
      )
      return v === CANCELLED ? null : v.toLowerCase()
    },
    password: async (purpose) => {
      for (;;) {
        const first = await ask(
          password({
            ...io,
            message: purpose === 'register' ? 'Choose a password (it never leaves this machine)' : 'Password',
            validate: (s) => {
              if (purpose !== 'register') return undefined
              const weak = passwordProblem(s ?? '')
              return weak ? `Password ${weak}` : undefined
            },
          }),
        )
        if (first === CANCELLED || purpose === 'login') return first === CANCELLED ? null : first
        const again = await ask(password({ ...io, message: 'Type it again' }))
        if (again === CANCELLED) return null
        if (again === first) return first
        log.warn('The passwords differ; try again.', { output: o.output })
      }
    },
    busy: (label, work) =>
      screen.hold(async () => {
        const s = spinner({ output: o.output })
        s.start(label)
        try {
          const r = await work()
          s.stop(label)
          return r
        } catch (e) {
          s.error(`${label}: failed`)
          throw e
        }
      }),
    progress: (label) => fileBar(o, screen, label),
  }
}

/** A progress bar for an outgoing file, created at the first update (when the total is known). */
function fileBar(o: UiOptions, screen: Screen, label: string): Progress {
  let bar: ReturnType<typeof progress> | null = null
  let shown = 0
  let release: () => void = () => {}
  return {
    update(done, total) {
      if (!bar) {
        bar = progress({ output: o.output, max: Math.max(total, 1) })
        bar.start(label)
        void screen.hold(() => new Promise<void>((r) => (release = r)))
      }
      if (done > shown) bar.advance(done - shown, `${label} (${done}/${total})`)
      shown = done
    },
    stop(ok) {
      if (ok) bar?.stop(`${label}: done`)
      else bar?.error(`${label}: failed`)
      release()
    },
  }
}

/** A progress bar for each incoming file too, closed by its `file` or `file-failed` event. */
function watchIncomingFiles(session: Session, ctl: Io): void {
  const bars = new Map<string, Progress>()
  session.on('file-progress', (p) => {
    if (p.direction !== 'in') return
    let bar = bars.get(p.fileId)
    if (!bar) {
      // The sender's name is another user's text: sanitised before it reaches the terminal.
      bar = ctl.progress(`Receiving a file from ${sanitize(p.peerName)}`)
      bars.set(p.fileId, bar)
    }
    bar.update(p.done, p.total)
  })
  const end = (fileId: string, ok: boolean) => {
    bars.get(fileId)?.stop(ok)
    bars.delete(fileId)
  }
  session.on('file', (f) => end(f.fileId, true))
  session.on('file-failed', (f) => f.direction === 'in' && end(f.fileId, false))
}

// --- the session ---

const SHOWN: readonly EventName[] = [
  'dm',
  'public',
  'file',
  'file-failed',
  'error',
  'key-changed',
  'file-offer',
  'presence',
  'closed',
]

/** Runs the interactive client on a connected session; returns the exit code. */
export async function runInteractive(session: Session, o: UiOptions): Promise<number> {
  const io = { input: o.input, output: o.output }
  const screen = new Screen((e) => {
    const r = renderText(e)
    if (r) LOG[r.level](r.text, { output: o.output })
  })
  const ctl = uiIo(o, screen)
  let ended = false
  for (const name of SHOWN) {
    session.on(name, (e: SessionEvents[typeof name]) => {
      if (name === 'closed') ended = true
      screen.show({ type: name, ...e } as ClientEvent)
    })
  }
  watchIncomingFiles(session, ctl)

  // Log lines (a dropped frame, …) would tear the prompt on stderr: they go through the screen.
  setLogSink((line) => screen.show({ type: 'info', text: line }))
  intro(`socp · ${o.server}`, io)
  const authed = await authenticate(session, ctl, io)
  let draft: Draft = { text: '', cursor: 0 }
  while (authed && !ended) {
    const signal = screen.openPrompt()
    const mirror = trackDraft(o.input, draft.text)
    const line = await ask(
      text({
        ...io,
        message: session.username ?? 'socp',
        placeholder: '/help',
        initialValue: draft.text,
        signal,
      }),
    )
    screen.closePrompt()
    draft = mirror.stop()
    if (line === CANCELLED) {
      if (!signal.aborted || ended) break // Ctrl-C, or the server went away
      eraseAbortedPrompt(o.output, draft.text) // an incoming event: print it, re-open with the draft
      continue
    }
    draft = { text: '', cursor: 0 }
    const cmd = line.trim() === '' ? null : parseCommand(line)
    if (cmd === null) continue
    if (!cmd.ok) {
      screen.show({ type: 'error', code: 'BAD_REQUEST', detail: cmd.error })
      continue
    }
    if ((await execute(cmd.command, session, ctl)) === 'quit') break
  }
  screen.flush()
  await session.close()
  outro(ended ? 'The server ended this session.' : 'Bye.', io)
  return ended ? 1 : 0
}

async function authenticate(
  session: Session,
  ctl: Io,
  io: { input: Readable; output: Writable },
): Promise<boolean> {
  while (!session.userId) {
    const choice = await ask(
      select({
        ...io,
        message: 'Welcome. What would you like to do?',
        options: [
          { value: 'login', label: 'Log in' },
          { value: 'register', label: 'Register a new account', hint: 'makes an RSA-4096 key pair here' },
          { value: 'quit', label: 'Quit' },
        ],
      }),
    )
    if (choice === CANCELLED || choice === 'quit') return false
    let cmd: Command = { name: 'register' }
    if (choice === 'login') {
      const login = await ask(
        text({
          ...io,
          message: 'Username or user id',
          validate: (s) => (s?.trim() ? undefined : 'required'),
        }),
      )
      if (login === CANCELLED) continue
      cmd = { name: 'login', login: login.trim() }
    }
    await execute(cmd, session, ctl)
  }
  return true
}
