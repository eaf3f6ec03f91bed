#!/usr/bin/env bun
/** @module The process edge: argv, environment, signals and exit codes live here and nowhere else. */

import { readFile, writeFile } from 'node:fs/promises'
import pkg from '../package.json' with { type: 'json' }
import { parseServerArgs, SERVER_USAGE } from './config.ts'
import { UsageError } from './errors.ts'
import { LevelSchema, setLogLevel } from './log.ts'

const USAGE = `socp ${pkg.version} — SOCP v1.3 federated end-to-end encrypted chat

Usage:
  socp server [options]   run a server (socp server --help)
  socp client [options]   run the interactive client (socp client --help)
  socp --version | --help
`

async function runServer(args: string[]): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(SERVER_USAGE)
    return 0
  }
  const config = parseServerArgs(args)
  const keyPassphrase = await readSecret(config.keyPassphraseFile, 'SOCP_KEY_PASSPHRASE', 'key passphrase', 8)
  if (config.exportIdentity || config.importIdentity) return identityBackup(config, keyPassphrase)
  const joinSecret = await readSecret(config.joinSecretFile, 'SOCP_JOIN_SECRET', 'join secret', 16)
  const { startServer } = await import('./server/index.ts')
  const server = await startServer({ ...config, keyPassphrase, joinSecret })
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await server.stop()
  return 0
}

/**
 * An operator secret (the key passphrase, the join secret): the first line of its file, else its
 * environment variable — never a flag's value, which every user of the machine can read in `ps`.
 */
async function readSecret(
  file: string | undefined,
  env: string,
  what: string,
  min: number,
): Promise<string | undefined> {
  // An empty variable counts as unset (a shell's `SOCP_KEY_PASSPHRASE= socp server`).
  const raw = file !== undefined ? await readFile(file, 'utf8') : process.env[env] || undefined
  if (raw === undefined) return undefined
  const line = raw.split(/\r?\n/)[0] ?? ''
  if (line.length < min) throw new UsageError(`the ${what} must be at least ${min} characters`)
  return line
}

/** `--export-identity FILE` / `--import-identity FILE`: one-shot, then exit (docs/security.md). */
async function identityBackup(
  config: ReturnType<typeof parseServerArgs>,
  passphrase: string | undefined,
): Promise<number> {
  if (!passphrase)
    throw new UsageError(
      'identity backups are sealed under the key passphrase: pass --key-passphrase-file FILE or set SOCP_KEY_PASSPHRASE',
    )
  const { openStore } = await import('./store/index.ts')
  const store = openStore(config.db, { keyPassphrase: passphrase })
  try {
    if (config.exportIdentity) {
      // 'wx': never overwrite an older backup by accident; 0600 like the key file itself.
      await writeFile(config.exportIdentity, store.exportIdentity(passphrase), { flag: 'wx', mode: 0o600 })
      process.stdout.write(`exported the identity of ${config.db} to ${config.exportIdentity}\n`)
    } else if (config.importIdentity) {
      const id = store.importIdentity(new Uint8Array(await readFile(config.importIdentity)), passphrase)
      process.stdout.write(`imported server ${id} into ${config.db}; start the server as usual\n`)
    }
  } finally {
    store.close()
  }
  return 0
}

async function runClientCommand(args: string[]): Promise<number> {
  const { parseClientArgs, CLIENT_USAGE } = await import('./client/index.ts')
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write(CLIENT_USAGE)
    return 0
  }
  const opts = parseClientArgs(args, process.env)
  const { runClient } = await import('./client/index.ts')
  // The prompt UI needs a terminal on both ends; otherwise one command per line from stdin.
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)
  return runClient({
    ...opts,
    password: process.env.SOCP_PASSWORD,
    input: process.stdin,
    output: process.stdout,
    interactive,
  })
}

async function main(argv: string[]): Promise<number> {
  // SOCP_LOG is the default level of every logger; `--log-level` overrides it for a server.
  setLogLevel(LevelSchema.catch('info').parse(process.env.SOCP_LOG))
  const [command, ...rest] = argv
  switch (command) {
    case 'server':
      return runServer(rest)
    case 'client':
      return runClientCommand(rest)
    case '--version':
    case '-v':
      process.stdout.write(`socp ${pkg.version}\n`)
      return 0
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return 0
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`socp: ${err.message}\n\n${USAGE}`)
      process.exit(1)
    }
    process.stderr.write(`socp: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
