/** @module Command-line options of `socp client` (src/cli.ts calls `parseClientArgs`). */

import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'
import { parseWsUrl } from '../net/index.ts'
import { defaultDataDir } from './account-store.ts'
import type { PresenceMode } from './auth.ts'
import type { AcceptFiles } from './files-in.ts'

export const CLIENT_USAGE = `Usage: socp client [options]

  --server ws[s]://HOST:PORT
                            the server to attach to (default ws://127.0.0.1:8765)
  --ca FILE                 PEM CA certificate trusted for a wss:// server, in addition to the
                            system store (for a server with a certificate from a private CA)
  --insecure-skip-verify    do not check the server's certificate (tests only; warns loudly)
  --downloads DIR           where received files are saved (default $XDG_DOWNLOAD_DIR, else ~/Downloads)
  --password-file FILE      read the password from FILE (non-interactive mode; or set SOCP_PASSWORD)
  --data-dir DIR            client stores: pins, name bindings, replay cache, one SQLite file per
                            account in DIR/<host_port>/<username>.sqlite (default $XDG_DATA_HOME/socp)
  --accept-files POLICY     files from unverified senders: ask (/accept, /decline), verified (refuse)
                            or all (default: ask on a terminal, all otherwise)
  --strict-kdf              refuse a server-chosen KDF salt even for an account not yet migrated here
  --presence WHOSE          whose comings and goings are pushed to you: all (default) or contacts,
                            only people you looked up, wrote to or heard from (/list still shows
                            everyone); contacts suits a network of thousands
  --json                    print one JSON object per event instead of text lines
  -h, --help                show this help

On a terminal the client is interactive. Otherwise it reads one command per line from stdin
(/register <username>, /login <user>, /list, /tell <user> <msg>, /all <msg>, /file <user> <path>,
/fingerprint <user>, /verify <user>, /trust <user>, /accept [file_id], /decline [file_id])
and exits when stdin ends and its sends and transfers have finished.
`

export type ClientArgs = {
  server: string
  downloads: string
  passwordFile?: string
  ca?: string
  insecureSkipVerify: boolean
  dataDir: string
  acceptFiles?: AcceptFiles
  strictKdf: boolean
  presence: PresenceMode
  json: boolean
  help: boolean
}

/**
 * The user's download folder: `$XDG_DOWNLOAD_DIR` (as xdg-user-dirs exports it), else
 * `~/Downloads` — not the folder the client happened to be started from.
 */
export function defaultDownloadsDir(env: Record<string, string | undefined> = {}): string {
  return env.XDG_DOWNLOAD_DIR || join(env.HOME || homedir(), 'Downloads')
}

const POLICIES: readonly AcceptFiles[] = ['all', 'verified', 'ask']
const isPolicy = (v: string): v is AcceptFiles => (POLICIES as readonly string[]).includes(v)

/**
 * Parses `socp client` arguments. `env` (the CLI passes `process.env`) only locates the default
 * data folder. @throws UsageError on unknown flags or a malformed URL.
 */
export function parseClientArgs(args: string[], env: Record<string, string | undefined> = {}): ClientArgs {
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(args).values
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
  const server = values.server ?? 'ws://127.0.0.1:8765'
  parseWsUrl(server)
  for (const k of ['downloads', 'password-file', 'data-dir', 'ca'] as const) {
    if (values[k] === '') throw new UsageError(`--${k} expects a path`)
  }
  const accept = values['accept-files']
  if (accept !== undefined && !isPolicy(accept)) {
    throw new UsageError('--accept-files expects ask, verified or all')
  }
  const presence = values.presence ?? 'all'
  if (presence !== 'all' && presence !== 'contacts')
    throw new UsageError('--presence expects all or contacts')
  return {
    server,
    downloads: values.downloads ?? defaultDownloadsDir(env),
    ...(values['password-file'] !== undefined && { passwordFile: values['password-file'] }),
    dataDir: values['data-dir'] ?? defaultDataDir(env),
    ...(accept !== undefined && { acceptFiles: accept }),
    strictKdf: values['strict-kdf'] ?? false,
    presence,
    ...(values.ca !== undefined && { ca: values.ca }),
    insecureSkipVerify: values['insecure-skip-verify'] ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: {
      server: { type: 'string' },
      downloads: { type: 'string' },
      'password-file': { type: 'string' },
      'data-dir': { type: 'string' },
      'accept-files': { type: 'string' },
      'strict-kdf': { type: 'boolean' },
      presence: { type: 'string' },
      ca: { type: 'string' },
      'insecure-skip-verify': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  })
}
