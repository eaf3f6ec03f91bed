/** @module Command-line options for `socp server` and `socp client`, parsed once into typed configs. */

import { parseArgs } from 'node:util'
import { z } from 'zod'
import { UsageError } from './errors.ts'

const WS_URL = /^wss?:\/\/([^/:\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** `ws://HOST:PORT` → host and port (port 0 asks the OS for a free one). */
export function parseWsUrl(url: string): { host: string; port: number } {
  const m = WS_URL.exec(url)
  const port = Number(m?.[2])
  if (!m || port > 65535) throw new UsageError(`expected ws://HOST:PORT, got "${url}"`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

const ServerConfigSchema = z.object({
  host: z.string(),
  port: z.number().int().min(0).max(65535),
  serverId: z.union([z.literal('auto'), z.string().regex(UUID_V4, 'server id must be a lowercase UUID v4')]),
  peers: z.array(z.object({ host: z.string(), port: z.number().int() })),
  db: z.string().min(1),
  heartbeatMs: z.number().int().positive(),
  linkTimeoutMs: z.number().int().positive(),
  statusMs: z.number().int().positive(),
  advertiseHost: z.string().optional(),
  keyPassphraseFile: z.string().min(1).optional(),
  exportIdentity: z.string().min(1).optional(),
  importIdentity: z.string().min(1).optional(),
})
export type ServerConfig = z.infer<typeof ServerConfigSchema>

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
  --key-passphrase-file F   seal the identity key file (<db>.key) under the passphrase in F
                            (first line); or set SOCP_KEY_PASSPHRASE. Without one, only the key
                            file's permissions protect the server's identity
  --export-identity FILE    write the server identity, sealed under the key passphrase, to FILE
                            (a new file, mode 0600) and exit; refused without a passphrase
  --import-identity FILE    restore an exported identity into a database that has none, and exit
  -h, --help                show this help
`

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} expects a positive integer`)
  return Number(v)
}

/** Parses `socp server` arguments (the seed's flags plus our own). */
export function parseServerArgs(args: string[]): ServerConfig & { logLevel?: string } {
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
      'key-passphrase-file': { type: 'string' },
      'export-identity': { type: 'string' },
      'import-identity': { type: 'string' },
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
    keyPassphraseFile: values['key-passphrase-file'],
    exportIdentity: values['export-identity'],
    importIdentity: values['import-identity'],
  })
  if (values['export-identity'] && values['import-identity'])
    throw new UsageError('--export-identity and --import-identity cannot be combined')
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => i.message).join('; '))
  return { ...parsed.data, logLevel: values['log-level'] }
}
