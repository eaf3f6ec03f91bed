/**
 * @module Runs one parsed command against a Session and reports the outcome as client events.
 * Shared by the terminal UI and the non-interactive client; how a password is asked, how long
 * work is shown and where lines go are the `Io`'s business.
 */

import { basename } from 'node:path'
import { generateKeyPair } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import { asUuid } from '../protocol/index.ts'
import { type Command, helpText } from './commands.ts'
import { passwordProblem } from './password-policy.ts'
import type { ClientEvent } from './render.ts'
import type { Session } from './session.ts'

/** A progress display for one outgoing file. */
export type Progress = { update(done: number, total: number): void; stop(ok: boolean): void }

export type Io = {
  print(e: ClientEvent): void
  /** The password (asked twice on a terminal when registering); `null` when there is none. */
  password(purpose: 'register' | 'login'): Promise<string | null>
  /** A username for `/register` without one; `null` when there is none. */
  username(): Promise<string | null>
  /** Runs `work` while showing `label` (a spinner on a terminal). */
  busy<T>(label: string, work: () => Promise<T>): Promise<T>
  progress(label: string): Progress
  /** A terminal: after a failure ask again for the field that failed (name or password) only. */
  again?: boolean
  /** Runs `work` without waiting for it (the terminal: the prompt stays free); absent = wait. */
  background?(work: () => Promise<void>): void
}

/** `failed` when the command was refused or failed; `quit` for /quit. */
export type Outcome = 'ok' | 'failed' | 'quit'

/** Executes `cmd`; never throws (failures are printed as `[ERROR] CODE: detail`). */
export async function execute(cmd: Command, s: Session, io: Io): Promise<Outcome> {
  try {
    return (await run(cmd, s, io)) ?? 'ok'
  } catch (e) {
    report(io, e)
    return 'failed'
  }
}

function report(io: Io, e: unknown): void {
  const err =
    e instanceof ChatError ? e : new ChatError('INTERNAL', e instanceof Error ? e.message : String(e))
  io.print({ type: 'error', code: err.code, detail: err.message })
}

/** One file, with a progress bar; `[FILE] sent` once our server took every chunk. */
async function sendFile(s: Session, io: Io, user: string, path: string): Promise<undefined> {
  const bar = io.progress(`Sending ${basename(path)} to ${user}`)
  try {
    const sent = await s.sendFile(user, path, (done, total) => bar.update(done, total))
    bar.stop(true)
    io.print({
      type: 'file-sent',
      fileId: sent.fileId,
      to: user,
      name: sent.name,
      size: sent.size,
      ...(sent.queued && { queued: true }),
    })
  } catch (e) {
    bar.stop(false)
    throw e
  }
  return undefined
}

/** A DM, printed once our server took it: `[SENT]`, or `[QUEUED]` for an offline recipient. */
async function tell(s: Session, io: Io, user: string, text: string): Promise<undefined> {
  const told = await s.tell(user, text)
  io.print({
    type: 'sent',
    to: told.toName,
    text,
    ts: told.ts,
    ...(told.status === 'queued' && { queued: true }),
  })
  return undefined
}

async function run(cmd: Command, s: Session, io: Io): Promise<Outcome | undefined> {
  switch (cmd.name) {
    case 'register': {
      if (s.userId) throw new ChatError('BAD_REQUEST', `already logged in as ${s.username}`)
      const username = cmd.username ?? (await io.username())
      if (!username) return 'failed'
      const password = await io.password('register')
      if (password === null) return 'failed'
      // Checked here, before any key is made, so script mode and the prompt refuse alike.
      const weak = passwordProblem(password, username)
      if (weak) throw new ChatError('BAD_REQUEST', `password ${weak}`)
      const keyPair = await io.busy('Generating an RSA-4096 key pair', () => generateKeyPair())
      let name = username
      for (;;) {
        try {
          const acct = await io.busy('Registering', () => s.register(name, password, { keyPair }))
          io.print({ type: 'registered', ...acct })
          io.print({ type: 'login', ...acct })
          return
        } catch (e) {
          // On a terminal a taken name asks for another name only: the password and keys stay.
          if (!io.again || !(e instanceof ChatError) || e.code !== 'NAME_IN_USE') throw e
          report(io, e)
          const next = await io.username()
          if (!next) return 'failed'
          name = next
        }
      }
    }
    case 'login': {
      // The seed's workflow is /register then /login: logging in again as yourself is a no-op.
      if (s.userId && s.username) {
        const same = asUuid(cmd.login)
          ? cmd.login.toLowerCase() === s.userId
          : cmd.login.toLowerCase() === s.username
        if (!same)
          throw new ChatError('BAD_REQUEST', `already logged in as ${s.username}; restart to switch users`)
        io.print({ type: 'login', userId: s.userId, username: s.username })
        return
      }
      // On a terminal a wrong password asks for the password again (three tries), not the name.
      for (let tries = 1; ; tries++) {
        const password = await io.password('login')
        if (password === null) return 'failed'
        try {
          io.print({ type: 'login', ...(await io.busy('Logging in', () => s.login(cmd.login, password))) })
          return
        } catch (e) {
          if (!io.again || !(e instanceof ChatError) || e.code !== 'AUTH_FAILED' || tries >= 3) throw e
          report(io, e)
        }
      }
    }
    case 'list':
      io.print({ type: 'list', users: await s.list() })
      return
    case 'tell':
    case 'msg':
      return tell(s, io, cmd.user, cmd.text)
    case 'say': {
      const to = s.current
      if (!to) throw new ChatError('BAD_REQUEST', 'no conversation yet: /tell <user> <message> starts one')
      return tell(s, io, to, cmd.text)
    }
    case 'transfers': {
      const list = s.transfers()
      const text =
        list.length === 0
          ? 'no transfers in progress'
          : list.map((t) => `${t.fileId.slice(0, 8)}  ${t.name} → ${t.to}  ${t.done}/${t.total}`).join('\n')
      io.print({ type: 'info', text })
      return
    }
    case 'cancel': {
      const t = s.cancelTransfer(cmd.file)
      io.print({
        type: 'info',
        text: `cancelled ${t.name} to ${t.to} (${t.done}/${t.total} chunks had gone)`,
      })
      return
    }
    case 'history':
      io.print({ type: 'history', entries: s.history(cmd.user) })
      return
    case 'logout': {
      const name = s.username
      await s.logout()
      io.print({ type: 'info', text: `logged out${name ? ` of ${name}` : ''}; /login or /register to go on` })
      return
    }
    case 'all': {
      const r = await s.all(cmd.text)
      io.print({ type: 'sent', to: 'everyone', recipients: r.recipients })
      if (r.skipped.length > 0)
        io.print({ type: 'info', text: `not sent to (key changed or no key): ${r.skipped.join(', ')}` })
      return
    }
    case 'file': {
      if (!io.background) return sendFile(s, io, cmd.user, cmd.path)
      // In the background the prompt is redrawn freely: no bar, the outcome is one line.
      const quiet: Io = { ...io, progress: () => ({ update() {}, stop() {} }) }
      io.background(() => sendFile(s, quiet, cmd.user, cmd.path).catch((e) => report(io, e)))
      io.print({
        type: 'info',
        text: `sending ${basename(cmd.path)} to ${cmd.user} in the background (/transfers)`,
      })
      return
    }
    case 'fingerprint':
      io.print({ type: 'fingerprint', ...(await s.fingerprint(cmd.user)) })
      return
    case 'trust': {
      const k = await s.trust(cmd.user)
      io.print({
        type: 'info',
        text: `now trusting the new key of ${k.username} (${k.userId}): ${k.fingerprint}`,
      })
      if (k.resent > 0)
        io.print({
          type: 'info',
          text: `sent ${k.resent} held message${k.resent === 1 ? '' : 's'} to ${k.username}`,
        })
      return
    }
    case 'verify': {
      const k = await s.verify(cmd.user)
      io.print({ type: 'verified', username: k.username, userId: k.userId, fingerprint: k.fingerprint })
      return
    }
    case 'accept':
    case 'decline': {
      const d = s.decideFile(cmd.file, cmd.name === 'accept')
      const verb = cmd.name === 'accept' ? 'accepted' : 'declined'
      io.print({ type: 'info', text: `${verb} ${d.name} (${d.fileId})` })
      return
    }
    case 'help':
      io.print({ type: 'info', text: helpText(s.userId !== null) })
      return
    case 'quit':
      return 'quit'
  }
}
