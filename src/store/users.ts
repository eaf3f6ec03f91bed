/** @module Local accounts (spec §15.1 `users`): the verifier and encrypted key blob of each home user. */
import { type Database, SQLiteError } from 'bun:sqlite'
import { ChatError } from '../errors.ts'
import { type KdfParams, KdfParamsSchema, readJson, type UserMeta, UserMetaSchema } from './_json.ts'

/** A new local account. `privkeyStore` is client-encrypted and `pakePassword` a verifier: both stored as given. */
export interface NewUser {
  userId: string
  username: string
  pubkey: string
  privkeyStore: string
  pakePassword: string
  kdf: KdfParams
  meta: UserMeta | null
  homeServer: string
}

/** A stored account; `username` is lower-case, `version` counts decorative or security changes. */
export interface UserRecord extends NewUser {
  version: number
  createdAt: number
}

interface Row {
  user_id: string
  username: string
  pubkey: string
  privkey_store: string
  pake_password: string
  kdf: string
  meta: string | null
  version: number
  home_server: string
  created_at: number
}

type InsertParams = {
  userId: string
  username: string
  pubkey: string
  privkeyStore: string
  pakePassword: string
  kdf: string
  meta: string | null
  homeServer: string
  now: number
}

const DUPLICATE = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'])

const COLUMNS =
  'user_id, username, pubkey, privkey_store, pake_password, kdf, meta, version, home_server, created_at'

/** Builds the account repository; its statements are prepared once here. */
export function userRepo(db: Database) {
  const byId = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM users WHERE user_id = ?`)
  const byName = db.prepare<Row, [string]>(`SELECT ${COLUMNS} FROM users WHERE username = ?`)
  const count = db.prepare<{ n: number }, []>('SELECT count(*) AS n FROM users')
  const rekey = db.prepare<never, [string, string, string, string]>(
    'UPDATE users SET privkey_store = ?, pake_password = ?, kdf = ?, version = version + 1 WHERE user_id = ?',
  )
  const insert = db.prepare<never, InsertParams>(
    `INSERT INTO users (user_id, username, pubkey, privkey_store, pake_password, kdf, meta, version,
                        home_server, created_at)
     VALUES ($userId, $username, $pubkey, $privkeyStore, $pakePassword, $kdf, $meta, 1, $homeServer, $now)`,
  )

  return {
    /**
     * Registers an account. Usernames are stored lower-cased (wire.md: unique case-insensitively).
     * @throws ChatError('NAME_IN_USE') when the id or the username is taken.
     */
    create(u: NewUser): UserRecord {
      const row: InsertParams = {
        userId: u.userId,
        username: u.username.toLowerCase(),
        pubkey: u.pubkey,
        privkeyStore: u.privkeyStore,
        pakePassword: u.pakePassword,
        kdf: JSON.stringify(KdfParamsSchema.parse(u.kdf)),
        meta: u.meta === null ? null : JSON.stringify(u.meta),
        homeServer: u.homeServer,
        now: Date.now(),
      }
      try {
        insert.run(row)
      } catch (err) {
        // The constraints decide, not a prior SELECT, so two racing registrations cannot both win.
        if (err instanceof SQLiteError && DUPLICATE.has(err.code ?? '')) {
          throw new ChatError('NAME_IN_USE', 'user id or username already registered', { cause: err })
        }
        throw err
      }
      return { ...u, username: row.username, version: 1, createdAt: row.now }
    },

    /** The account with this user id, or null. */
    byId(userId: string): UserRecord | null {
      return toRecord(byId.get(userId))
    },

    /** The account with this username in any case, or null. */
    byUsername(username: string): UserRecord | null {
      return toRecord(byName.get(username.toLowerCase()))
    },

    /** Replaces the key blob, verifier and KDF parameters of an account (USER_REKEY, wire.md §3a). */
    rekey(userId: string, u: { privkeyStore: string; pakePassword: string; kdf: KdfParams }): void {
      rekey.run(u.privkeyStore, u.pakePassword, JSON.stringify(KdfParamsSchema.parse(u.kdf)), userId)
    },

    /** How many local accounts exist. */
    count(): number {
      return count.get()?.n ?? 0
    },
  }
}

export type UserRepo = ReturnType<typeof userRepo>

function toRecord(r: Row | null): UserRecord | null {
  if (!r) return null
  return {
    userId: r.user_id,
    username: r.username,
    pubkey: r.pubkey,
    privkeyStore: r.privkey_store,
    pakePassword: r.pake_password,
    kdf: readJson(KdfParamsSchema, r.kdf, 'users.kdf'),
    meta: r.meta === null ? null : readJson(UserMetaSchema, r.meta, 'users.meta'),
    homeServer: r.home_server,
    version: r.version,
    createdAt: r.created_at,
  }
}
