/** @module The client's public surface: `runClient` for the CLI, and the Session library. */

import type { Readable, Writable } from 'node:stream'
import { ChatError } from '../errors.ts'
import { logger } from '../log.ts'
import { clientTls, INSECURE_WARNING } from '../net/index.ts'
import type { PresenceMode } from './auth.ts'
import type { AcceptFiles } from './files-in.ts'
import { renderLine } from './render.ts'
import { runScript } from './script.ts'
import { Session } from './session.ts'
import { runInteractive } from './ui.ts'

export { defaultDataDir } from './account-store.ts'
export { CLIENT_USAGE, type ClientArgs, parseClientArgs } from './args.ts'
export type { SessionEvents } from './events.ts'
export type { AcceptFiles } from './files-in.ts'
export type { Account, KeyInfo, OnlineUser, SessionOptions } from './session.ts'
export { Session }

export type RunClientOptions = {
  server: string
  downloads?: string | undefined
  passwordFile?: string | undefined
  /** The password itself (the CLI passes SOCP_PASSWORD); wins over `passwordFile`. */
  password?: string | undefined
  json?: boolean | undefined
  /** `--ca`: a PEM CA certificate trusted for a wss:// server besides the system store. */
  ca?: string | undefined
  /** `--insecure-skip-verify`: no certificate check at all (tests only; warned about). */
  insecureSkipVerify?: boolean | undefined
  /** Root of the per-account client stores; omitted = in memory. */
  dataDir?: string | undefined
  /** Files from unverified senders; default `ask` when interactive, else `all`. */
  acceptFiles?: AcceptFiles | undefined
  strictKdf?: boolean | undefined
  /** `--presence`: everyone's comings and goings pushed (default), or only contacts'. */
  presence?: PresenceMode | undefined
  input: Readable
  output: Writable
  /** A terminal on both ends: the prompt UI. Otherwise one command per line (also with --json). */
  interactive: boolean
  /** Non-interactive: after stdin ends, wait for `quietMs` without events, at most `graceMs`. */
  quietMs?: number
  graceMs?: number
}

/**
 * Connects and runs the client until the user quits or stdin ends; resolves with the exit code
 * (0, or 1 when connecting failed, a command failed in non-interactive mode, or the link died).
 */
export async function runClient(o: RunClientOptions): Promise<number> {
  let session: Session
  const tls = clientTls({ caFile: o.ca, insecureSkipVerify: o.insecureSkipVerify })
  if (o.insecureSkipVerify) logger('client').warn(INSECURE_WARNING)
  try {
    session = await Session.connect(o.server, {
      tls,
      ...(o.downloads !== undefined && { downloadsDir: o.downloads }),
      ...(o.dataDir !== undefined && { dataDir: o.dataDir }),
      acceptFiles: o.acceptFiles ?? (o.interactive && !o.json ? 'ask' : 'all'),
      strictKdf: o.strictKdf ?? false,
      presence: o.presence ?? 'all',
    })
  } catch (e) {
    const err =
      e instanceof ChatError ? e : new ChatError('INTERNAL', e instanceof Error ? e.message : String(e))
    o.output.write(`${renderLine({ type: 'error', code: err.code, detail: err.message }, o.json ?? false)}\n`)
    return 1
  }
  if (o.interactive && !o.json)
    return runInteractive(session, { input: o.input, output: o.output, server: o.server })
  return runScript(session, {
    input: o.input,
    output: o.output,
    json: o.json ?? false,
    password: o.password,
    passwordFile: o.passwordFile,
    ...(o.quietMs !== undefined && { quietMs: o.quietMs }),
    ...(o.graceMs !== undefined && { graceMs: o.graceMs }),
  })
}
