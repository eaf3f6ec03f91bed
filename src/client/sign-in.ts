/**
 * @module Register and login with the client store's bookkeeping: which store an account uses,
 * whether a legacy KDF may pass, the migration (USER_REKEY) at the first login after it, and the
 * record that makes a server-chosen salt refused from then on (PROTOCOL.md §6).
 */

import type { KeyPair } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import type { ClientStore } from '../store/index.ts'
import type { AccountStores } from './account-store.ts'
import { type Identity, login, type PresenceMode, register, rekey } from './auth.ts'
import type { ClientLink } from './link.ts'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export type SignedIn = { id: Identity; store: ClientStore }

/** Registers `username`; its store (which must not hold an account yet) records it as migrated. */
export async function registerIn(
  stores: AccountStores,
  link: ClientLink,
  username: string,
  password: string,
  keyPair?: KeyPair,
  presence: PresenceMode = 'all',
): Promise<SignedIn> {
  const store = stores.open(username)
  if (store.account()) {
    throw new ChatError('BAD_REQUEST', `this client already holds an account ${username} for this server`)
  }
  const id = await register(link, username, password, keyPair, presence)
  store.setAccount(id.userId, id.username)
  store.markKdfMigrated()
  return { id, store }
}

/**
 * Logs in by name or by an id the stores know. An account still on server-chosen KDF parameters
 * is accepted only while its store has not seen it migrate (and not with `strictKdf`), and is
 * migrated on the spot.
 */
export async function loginIn(
  stores: AccountStores,
  link: ClientLink,
  loginName: string,
  password: string,
  strictKdf: boolean,
  presence: PresenceMode = 'all',
): Promise<SignedIn> {
  const { store, username } = stores.forLogin(loginName)
  const known = store.account()
  const byId = UUID_RE.test(loginName)
  const userId = known?.userId ?? (byId ? loginName : undefined)
  const r = await login(
    link,
    loginName,
    password,
    {
      username,
      ...(userId !== undefined && { userId }),
      allowLegacy: !known?.kdfMigrated && !strictKdf,
    },
    presence,
  )
  store.setAccount(r.id.userId, r.id.username)
  const keys = r.legacy ? await rekey(link, r.id, password, r.legacy) : r.id
  store.markKdfMigrated()
  return { id: { ...r.id, authKey: keys.authKey, historyKey: keys.historyKey }, store }
}
