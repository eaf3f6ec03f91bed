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
}

/** `failed` when the command was refused or failed; `quit` for /quit. */
export type Outcome = 'ok' | 'failed' | 'quit'

/** Executes `cmd`; never throws (failures are printed as `[ERROR] CODE: detail`). */
export async function execute(cmd: Command, s: Session, io: Io): Promise<Outcome> {
  try {
    return (await run(cmd, s, io)) ?? 'ok'
  } catch (e) {
    const err =
      e instanceof ChatError ? e : new ChatError('INTERNAL', e instanceof Error ? e.message : String(e))
    io.print({ type: 'error', code: err.code, detail: err.message })
    return 'failed'
  }
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
      const acct = await io.busy('Registering', () => s.register(username, password, { keyPair }))
      io.print({ type: 'registered', ...acct })
      io.print({ type: 'login', ...acct })
      return
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
      const password = await io.password('login')
      if (password === null) return 'failed'
      io.print({ type: 'login', ...(await io.busy('Logging in', () => s.login(cmd.login, password))) })
      return
    }
    case 'list':
      io.print({ type: 'list', users: await s.list() })
      return
    case 'tell':
      await s.tell(cmd.user, cmd.text)
      io.print({ type: 'sent', to: cmd.user })
      return
    case 'all': {
      const r = await s.all(cmd.text)
      io.print({ type: 'sent', to: 'everyone', recipients: r.recipients })
      if (r.skipped.length > 0)
        io.print({ type: 'info', text: `not sent to (key changed or no key): ${r.skipped.join(', ')}` })
      return
    }
    case 'file': {
      const bar = io.progress(`Sending ${basename(cmd.path)} to ${cmd.user}`)
      try {
        const sent = await s.sendFile(cmd.user, cmd.path, (done, total) => bar.update(done, total))
        bar.stop(true)
        io.print({ type: 'file-sent', fileId: sent.fileId, to: cmd.user, name: sent.name, size: sent.size })
      } catch (e) {
        bar.stop(false)
        throw e
      }
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
      return
    }
    case 'verify': {
      const k = await s.verify(cmd.user)
      io.print({ type: 'verified', username: k.username, userId: k.userId, fingerprint: k.fingerprint })
      return
    }
    case 'accept':
    case 'decline':
      s.decideFile(cmd.file, cmd.name === 'accept')
      io.print({ type: 'info', text: `${cmd.name === 'accept' ? 'accepted' : 'declined'} ${cmd.file}` })
      return
    case 'help':
      io.print({ type: 'info', text: helpText() })
      return
    case 'quit':
      return 'quit'
  }
}
