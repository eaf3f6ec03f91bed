/**
 * @module The store's public surface: `openStore(path)` → typed repositories over one SQLite file.
 * Nothing outside src/store sees SQL or `bun:sqlite`.
 */

import type { Database } from 'bun:sqlite'
import { randomBytes } from 'node:crypto'
import { type KeyProtection, loadOrCreateKey } from './_keyfile.ts'
import { sealer } from './_seal.ts'
import { exportIdentity, importIdentity } from './backup.ts'
import { type ChannelRepo, channelRepo } from './channel.ts'
import { isMemoryPath, openDb } from './db.ts'
import { type DirectoryRepo, directoryRepo } from './directory.ts'
import { type IdentityRepo, identityRepo } from './identity.ts'
import { type KeylessRepo, keylessRepo } from './keyless.ts'
import { migrate } from './migrate.ts'
import { MIGRATIONS } from './migrations.ts'
import { type QueueRepo, queueRepo } from './queue.ts'
import { type ServerRepo, serverRepo } from './servers.ts'
import { type UserRepo, userRepo } from './users.ts'

export type { KdfParams, UserMeta } from './_json.ts'
export type { KeyProtection } from './_keyfile.ts'
export type { ChannelMember, ChannelRepo } from './channel.ts'
export type { DirectoryEntry, DirectoryRepo, UpsertResult } from './directory.ts'
export type { IdentityRepo, ServerIdentity } from './identity.ts'
export type { NewQueuedFrame, QueuedFrame, QueueRepo } from './queue.ts'
export type { PeerServer, PinnedServer, PinResult, ServerRepo } from './servers.ts'
export type { NewUser, UserRecord, UserRepo } from './users.ts'

/** Options for {@link openStore}. */
export interface StoreOptions {
  /**
   * File holding the 32-byte key that wraps the server's private key and secret.
   * Default `${path}.key`, created with mode 0600; for ':memory:' the key lives in memory only.
   */
  keyFile?: string
  /** Operator passphrase sealing the key file (`--key-passphrase-file`, SOCP_KEY_PASSPHRASE). */
  keyPassphrase?: string | undefined
}

/** One open database with its repositories. */
export interface Store {
  readonly identity: IdentityRepo
  readonly users: UserRepo
  readonly directory: DirectoryRepo
  /** Other implementations' users advertised without a key, and whose they are. */
  readonly keyless: KeylessRepo
  readonly servers: ServerRepo
  readonly channel: ChannelRepo
  readonly queue: QueueRepo
  /** What protects the identity key at rest, for the start-up log. */
  readonly keyProtection: KeyProtection
  /** The identity sealed under `passphrase`, for `socp server --export-identity`. */
  exportIdentity(passphrase: string): Uint8Array
  /** Restores an exported identity into a database that has none (`--import-identity`). */
  importIdentity(bytes: Uint8Array, passphrase: string): string
  /** Runs `fn` in one transaction (nested calls become savepoints), e.g. account + directory entry. */
  transaction<T>(fn: () => T): T
  /** Closes the database; the store must not be used afterwards. */
  close(): void
}

/**
 * Opens (creating if missing) the database at `path`, applies pending migrations and loads the
 * wrapping key.
 * @example
 * const store = openStore('data/server.db')
 * const me = store.identity.load() ?? createIdentity(store)
 */
export function openStore(path: string, opts: StoreOptions = {}): Store {
  const db = openDb(path)
  try {
    migrate(db, MIGRATIONS)
    const keyFile = opts.keyFile ?? (isMemoryPath(path) ? null : `${path}.key`)
    // Never mint a fresh key over existing wrapped data: the identity would be lost for good.
    const { key, protection } =
      keyFile === null
        ? { key: randomBytes(32), protection: 'memory' as const }
        : loadOrCreateKey(keyFile, { mustExist: hasIdentity(db), passphrase: opts.keyPassphrase })
    const identity = identityRepo(db, sealer(key))
    return {
      identity,
      keyProtection: protection,
      exportIdentity: (passphrase) => exportIdentity(identity, passphrase),
      importIdentity: (bytes, passphrase) => importIdentity(identity, bytes, passphrase),
      users: userRepo(db),
      directory: directoryRepo(db),
      keyless: keylessRepo(db),
      servers: serverRepo(db),
      channel: channelRepo(db),
      queue: queueRepo(db),
      transaction: (fn) => db.transaction(fn)(),
      close: () => db.close(),
    }
  } catch (err) {
    db.close()
    throw err
  }
}

function hasIdentity(db: Database): boolean {
  return db.query<{ one: number }, []>('SELECT 1 AS one FROM server_identity').get() !== null
}

export type { ClientAccount, ClientStoreLimits, Contact } from './client.ts'
export { ClientStore, DEFAULT_CLIENT_LIMITS } from './client.ts'
export { CLIENT_MIGRATIONS, findClientStore, openClientStore } from './client-files.ts'
