/** @module Command-line options for `socp server` and `socp client`, parsed once into typed configs. */

import { parseArgs } from 'node:util'
import { z } from 'zod'
import type { KeyPair } from './crypto/index.ts'
import { UsageError } from './errors.ts'
import { LevelSchema } from './log.ts'
import { isValidHost, isWildcard, parsePeerUrl, parseWsUrl } from './net/index.ts'
import { UuidSchema } from './protocol/index.ts'
import type { GuardOptions } from './server/users/guard.ts'

export { parseWsUrl }

const Count = z.number().int().positive()

/**
 * Everything `startServer` takes: the CLI's flags and what tests and embedders may add. The one
 * config type; defaults live here, so `startServer` reads a complete `ServerConfig`.
 */
export const ServerConfigSchema = z.object({
  host: z.string(),
  port: z.number().int().min(0).max(65535),
  serverId: z.union([z.literal('auto'), UuidSchema]),
  /** Introducers; `tls` dials them at wss://; `fingerprint` pins the key (SHA-256 of its SPKI, hex). */
  peers: z.array(
    z.object({
      host: z.string(),
      port: z.number().int().min(1).max(65535),
      tls: z.boolean().default(false),
      fingerprint: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
  ),
  db: z.string().min(1),
  heartbeatMs: Count.default(15_000),
  linkTimeoutMs: Count.default(45_000),
  statusMs: Count.default(20_000),
  helloTimeoutMs: Count.default(10_000),
  /** Cap on simultaneous connections, so bogus connections cannot exhaust memory. */
  maxConnections: Count.default(10_000),
  /** Cap on pinned servers, and on directory entries per other server (src/server/quota.ts). */
  maxServers: Count.default(1_000),
  maxUsersPerServer: Count.default(100_000),
  /** Link to servers that cannot answer SERVER_CHALLENGE (PROTOCOL.md §4); never by default. */
  allowLegacyPeers: z.boolean().default(false),
  /**
   * `--join-secret-file`: a closed mesh — every server link proves this shared secret (admission.ts);
   * read by cli.ts from the file or SOCP_JOIN_SECRET.
   */
  joinSecret: z.string().min(16, 'the join secret must be at least 16 characters').optional(),
  joinSecretFile: z.string().min(1).optional(),
  /** Open mesh: servers one address (an IPv6 /64) may make us pin (`--joins-per-address`). */
  joinsPerAddress: Count.default(16),
  /** Store-and-forward bounds (docs/wire.md §13): time-to-live, frames per recipient, per sender. */
  offlineTtlMs: Count.default(7 * 24 * 3_600_000),
  offlinePerRecipient: Count.default(10_000),
  offlinePerSender: Count.default(5_000),
  /** This server's log level; default: the process default (`setLogLevel`). */
  logLevel: LevelSchema.optional(),
  /** A log component name (tests run several servers in one process). */
  name: z.string().optional(),
  /** The identity key for a new database (tests reuse pre-generated keys); default: generate. */
  keyPair: z.custom<KeyPair>((v) => typeof v === 'object' && v !== null).optional(),
  // --- real networks (src/net, src/server/network.ts) ---
  /** `--advertise`: the address other servers dial (src/server/advertise.ts picks one otherwise). */
  advertise: z
    .object({
      host: z.string().refine((h) => isValidHost(h) && !isWildcard(h), 'cannot advertise a wildcard address'),
      port: z.number().int().min(1, '--advertise needs a real port, not 0').max(65535),
      tls: z.boolean(),
    })
    .optional(),
  /** `--tls-cert`/`--tls-key`: listen with TLS on the one port. */
  tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  /** `--ca`/`--insecure-skip-verify`: what outgoing wss:// links trust. */
  trust: z
    .object({ caFile: z.string().min(1).optional(), insecureSkipVerify: z.boolean().default(false) })
    .default({ insecureSkipVerify: false }),
  /** Login throttles and the argon2 pool size (src/server/users/guard.ts); tests tune them. */
  login: z.custom<Partial<GuardOptions>>((v) => typeof v === 'object' && v !== null).optional(),
  // --- secrets at rest (src/store/_keyfile.ts, src/store/backup.ts) ---
  /** `--key-passphrase-file`: seals `<db>.key` under an operator passphrase. */
  keyPassphraseFile: z.string().min(1).optional(),
  /** The passphrase itself (read by cli.ts from the file or SOCP_KEY_PASSPHRASE). */
  keyPassphrase: z.string().optional(),
  exportIdentity: z.string().min(1).optional(),
  importIdentity: z.string().min(1).optional(),
})
/** What `startServer` accepts: defaults may be left out. */
export type ServerOptions = z.input<typeof ServerConfigSchema>
/** What the server runs with, every default filled in. */
export type ServerConfig = z.output<typeof ServerConfigSchema>

export const SERVER_USAGE = `Usage: socp server [options]

  --bind ws[s]://HOST:PORT  address to listen on (default ws://127.0.0.1:8765); serves users,
                            servers and GET /health on the same port; HOST may be 0.0.0.0 or [::]
  --advertise ws[s]://HOST:PORT
                            the address other servers dial (default: the bind address; for a
                            wildcard bind, the address of the interface that reaches the first
                            --peer, or this host's first non-loopback address)
  --tls-cert FILE           PEM certificate chain: listen with TLS (wss://, https:// /health)
  --tls-key FILE            PEM private key of --tls-cert
  --ca FILE                 PEM CA certificate trusted for outgoing wss:// links, in addition to
                            the system store
  --insecure-skip-verify    do not check certificates of wss:// peers (tests only; logged loudly)
  --server-id auto|UUID     this server's id; auto = the stored id, else the introducer's, else new
  --peer ws[s]://HOST:PORT[#sha256:FINGERPRINT]
                            an introducer to join through (repeatable; tried in order); with
                            #sha256: (as that server's start log prints it) its key is pinned,
                            and an introducer with another key is refused
  --db PATH                 SQLite database (default ./data/server-PORT.db)
  --http HOST:PORT|off      accepted for compatibility with the seed; /health is on the bind port
  --heartbeat-ms N          HEARTBEAT interval on server links (default 15000)
  --link-timeout-ms N       silence after which a server link is dead (default 45000)
  --status-ms N             how often the status ("Known servers", online users) is logged (default 20000)
  --log-level LEVEL         debug | info | warn | error (default info)
  --register-burst N        accounts one address (an IPv6 /64) may create before it is held to one
                            a minute (default 20; raise it behind a NAT or a reverse proxy)
  --key-passphrase-file F   seal the identity key file (<db>.key) under the passphrase in F
                            (first line); or set SOCP_KEY_PASSPHRASE. Without one, only the key
                            file's permissions protect the server's identity
  --export-identity FILE    write the server identity, sealed under the key passphrase, to FILE
                            (a new file, mode 0600) and exit; refused without a passphrase
  --import-identity FILE    restore an exported identity into a database that has none, and exit
  --join-secret-file FILE   a closed mesh: only servers that know the secret in FILE (first line,
                            16+ characters; or set SOCP_JOIN_SECRET) may link, each proving it per
                            link. Without one the mesh is open to any server that can reach it
  --joins-per-address N     open mesh: servers one address (an IPv6 /64) may add here (default 16)
  --allow-legacy-peers      also link to servers that cannot prove their key (another
                            implementation); such links are unauthenticated: warned at start and per link
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
      advertise: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      ca: { type: 'string' },
      'insecure-skip-verify': { type: 'boolean', default: false },
      'key-passphrase-file': { type: 'string' },
      'register-burst': { type: 'string' },
      'export-identity': { type: 'string' },
      'import-identity': { type: 'string' },
      'allow-legacy-peers': { type: 'boolean', default: false },
      'join-secret-file': { type: 'string' },
      'joins-per-address': { type: 'string' },
    },
    strict: true,
  })
  const { host, port, tls: wss } = parseWsUrl(values.bind)
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together')
  if (wss && values['tls-cert'] === undefined)
    throw new UsageError('--bind wss:// needs --tls-cert and --tls-key')
  if (values.http !== undefined && values.http !== 'off' && !/^[^\s:]+:\d{1,5}$/.test(values.http)) {
    throw new UsageError('--http expects HOST:PORT or off')
  }
  const parsed = ServerConfigSchema.safeParse({
    host,
    port,
    serverId: values['server-id'],
    peers: values.peer.map(parsePeerUrl),
    db: values.db ?? `./data/server-${port}.db`,
    heartbeatMs: int('heartbeat-ms', values['heartbeat-ms'], 15_000),
    linkTimeoutMs: int('link-timeout-ms', values['link-timeout-ms'], 45_000),
    statusMs: int('status-ms', values['status-ms'], 20_000),
    logLevel: values['log-level'],
    ...(values.advertise !== undefined && { advertise: parseWsUrl(values.advertise) }),
    ...(values['tls-cert'] !== undefined && {
      tls: { certFile: values['tls-cert'], keyFile: values['tls-key'] },
    }),
    trust: {
      ...(values.ca !== undefined && { caFile: values.ca }),
      insecureSkipVerify: values['insecure-skip-verify'],
    },
    keyPassphraseFile: values['key-passphrase-file'],
    ...(values['register-burst'] !== undefined && {
      login: { registerBurst: int('register-burst', values['register-burst'], 20) },
    }),
    exportIdentity: values['export-identity'],
    importIdentity: values['import-identity'],
    allowLegacyPeers: values['allow-legacy-peers'],
    joinSecretFile: values['join-secret-file'],
    joinsPerAddress: int('joins-per-address', values['joins-per-address'], 16),
  })
  if (values['export-identity'] && values['import-identity'])
    throw new UsageError('--export-identity and --import-identity cannot be combined')
  if (!parsed.success) throw new UsageError(parsed.error.issues.map(usageMessage).join('; '))
  return parsed.data
}

function usageMessage(i: z.core.$ZodIssue): string {
  if (i.path[0] === 'logLevel') return '--log-level expects debug, info, warn or error'
  if (i.path[0] === 'serverId') return 'server id must be a lowercase UUID v4'
  return i.message
}
