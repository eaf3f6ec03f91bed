/** @module Command-line options for `socp server` and `socp client`, parsed once into typed configs. */

import { parseArgs } from 'node:util'
import { z } from 'zod'
import type { KeyPair } from './crypto/index.ts'
import { UsageError } from './errors.ts'
import { LevelSchema } from './log.ts'
import { UuidSchema } from './protocol/index.ts'

const WS_URL = /^wss?:\/\/([^/:\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/

/** `ws://HOST:PORT` → host and port (port 0 asks the OS for a free one). */
export function parseWsUrl(url: string): { host: string; port: number } {
  const m = WS_URL.exec(url)
  const port = Number(m?.[2])
  if (!m || port > 65535) throw new UsageError(`expected ws://HOST:PORT, got "${url}"`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

const Count = z.number().int().positive()

/**
 * Everything `startServer` takes: the CLI's flags and what tests and embedders may add. The one
 * config type; defaults live here, so `startServer` reads a complete `ServerConfig`.
 */
export const ServerConfigSchema = z.object({
  host: z.string(),
  port: z.number().int().min(0).max(65535),
  serverId: z.union([z.literal('auto'), UuidSchema]),
  peers: z.array(z.object({ host: z.string(), port: z.number().int().min(1).max(65535) })),
  db: z.string().min(1),
  heartbeatMs: Count.default(15_000),
  linkTimeoutMs: Count.default(45_000),
  statusMs: Count.default(20_000),
  helloTimeoutMs: Count.default(10_000),
  /** Cap on simultaneous connections, so bogus connections cannot exhaust memory. */
  maxConnections: Count.default(10_000),
  /** Cap on pinned servers, and on directory entries per other server (src/server/quota.ts). */
  maxServers: Count.default(1_000),
  maxUsersPerServer: Count.default(10_000),
  /** Store-and-forward bounds (docs/wire.md §11): time-to-live, frames per recipient, per sender. */
  offlineTtlMs: Count.default(7 * 24 * 3_600_000),
  offlinePerRecipient: Count.default(10_000),
  offlinePerSender: Count.default(5_000),
  /** This server's log level; default: the process default (`setLogLevel`). */
  logLevel: LevelSchema.optional(),
  /** A log component name (tests run several servers in one process). */
  name: z.string().optional(),
  /** The identity key for a new database (tests reuse pre-generated keys); default: generate. */
  keyPair: z.custom<KeyPair>((v) => typeof v === 'object' && v !== null).optional(),
})
/** What `startServer` accepts: defaults may be left out. */
export type ServerOptions = z.input<typeof ServerConfigSchema>
/** What the server runs with, every default filled in. */
export type ServerConfig = z.output<typeof ServerConfigSchema>

export const SERVER_USAGE = `Usage: socp server [options]

  --bind ws://HOST:PORT     address to listen on (default ws://127.0.0.1:8765); serves users,
                            servers and GET /health on the same port
  --server-id auto|UUID     this server's id; auto = the stored id, else the introducer's, else new
  --peer ws://HOST:PORT     an introducer to join through (repeatable; tried in order)
  --db PATH                 SQLite database (default ./data/server-PORT.db)
  --http HOST:PORT|off      accepted for compatibility with the seed; /health is on the bind port
  --heartbeat-ms N          HEARTBEAT interval on server links (default 15000)
  --link-timeout-ms N       silence after which a server link is dead (default 45000)
  --status-ms N             how often the status ("Known servers", online users) is logged (default 20000)
  --log-level LEVEL         debug | info | warn | error (default info)
  -h, --help                show this help
`

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} expects a positive integer`)
  return Number(v)
}

/** Parses `socp server` arguments (the seed's flags plus our own). */
export function parseServerArgs(args: string[]): ServerConfig {
  const { values } = parseArgs({
    args,
    options: {
      bind: { type: 'string', default: 'ws://127.0.0.1:8765' },
      'server-id': { type: 'string', default: 'auto' },
      peer: { type: 'string', multiple: true, default: [] },
      db: { type: 'string' },
      http: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'link-timeout-ms': { type: 'string' },
      'status-ms': { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  })
  const { host, port } = parseWsUrl(values.bind)
  if (values.http !== undefined && values.http !== 'off' && !/^[^\s:]+:\d{1,5}$/.test(values.http)) {
    throw new UsageError('--http expects HOST:PORT or off')
  }
  const parsed = ServerConfigSchema.safeParse({
    host,
    port,
    serverId: values['server-id'],
    peers: values.peer.map(parseWsUrl),
    db: values.db ?? `./data/server-${port}.db`,
    heartbeatMs: int('heartbeat-ms', values['heartbeat-ms'], 15_000),
    linkTimeoutMs: int('link-timeout-ms', values['link-timeout-ms'], 45_000),
    statusMs: int('status-ms', values['status-ms'], 20_000),
    logLevel: values['log-level'],
  })
  if (!parsed.success) throw new UsageError(parsed.error.issues.map(usageMessage).join('; '))
  return parsed.data
}

function usageMessage(i: z.core.$ZodIssue): string {
  if (i.path[0] === 'logLevel') return '--log-level expects debug, info, warn or error'
  if (i.path[0] === 'serverId') return 'server id must be a lowercase UUID v4'
  return i.message
}
