/** @module Command-line options of `socp client` (src/cli.ts calls `parseClientArgs`). */

import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.ts'
import { parseWsUrl } from '../net/index.ts'

export const CLIENT_USAGE = `Usage: socp client [options]

  --server ws[s]://HOST:PORT
                            the server to attach to (default ws://127.0.0.1:8765)
  --ca FILE                 PEM CA certificate trusted for a wss:// server, in addition to the
                            system store (for a server with a certificate from a private CA)
  --insecure-skip-verify    do not check the server's certificate (tests only; warns loudly)
  --downloads DIR           where received files are saved as received_<file_id> (default .)
  --password-file FILE      read the password from FILE (non-interactive mode; or set SOCP_PASSWORD)
  --pins FILE               pinned public keys (default $XDG_CONFIG_HOME/socp/pins.json)
  --json                    print one JSON object per event instead of text lines
  -h, --help                show this help

On a terminal the client is interactive. Otherwise it reads one command per line from stdin
(/register <username>, /login <user>, /list, /tell <user> <msg>, /all <msg>, /file <user> <path>)
and exits when stdin ends and its sends and transfers have finished.
`

export type ClientArgs = {
  server: string
  downloads?: string
  passwordFile?: string
  pinsPath: string
  ca?: string
  insecureSkipVerify: boolean
  json: boolean
  help: boolean
}

/** `$XDG_CONFIG_HOME/socp/pins.json`, else `~/.config/socp/pins.json`. */
export function defaultPinsPath(env: Record<string, string | undefined> = {}): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config')
  return join(base, 'socp', 'pins.json')
}

/**
 * Parses `socp client` arguments. `env` (the CLI passes `process.env`) only locates the default
 * pins file. @throws UsageError on unknown flags or a malformed URL.
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
  for (const k of ['downloads', 'password-file', 'pins', 'ca'] as const) {
    if (values[k] === '') throw new UsageError(`--${k} expects a path`)
  }
  return {
    server,
    ...(values.downloads !== undefined && { downloads: values.downloads }),
    ...(values['password-file'] !== undefined && { passwordFile: values['password-file'] }),
    pinsPath: values.pins ?? defaultPinsPath(env),
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
      pins: { type: 'string' },
      ca: { type: 'string' },
      'insecure-skip-verify': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  })
}
