/**
 * @module Which client store belongs to an account: `<data dir>/<server host_port>/<username>.sqlite`
 * (data dir: `$XDG_DATA_HOME/socp`, else `~/.local/share/socp`). Chosen from what the user typed,
 * never from what a server says. Without a data dir, stores live in memory for the Session.
 */

import { homedir } from 'node:os'
import { join } from 'node:path'
import { ChatError } from '../errors.ts'
import { type ClientStore, type ClientStoreLimits, findClientStore, openClientStore } from '../store/index.ts'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `$XDG_DATA_HOME/socp`, else `~/.local/share/socp` (the XDG base directory default). */
export function defaultDataDir(env: Record<string, string | undefined> = {}): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'socp')
}

/** One folder per server address, so the same name on two meshes never shares pins. */
export function serverFolder(url: string): string {
  const u = new URL(url)
  return `${u.hostname}_${u.port || '80'}`.replace(/[^A-Za-z0-9._-]/g, '_')
}

/** Opens (and caches) the store of each account a Session logs in as. */
export class AccountStores {
  readonly #dir: string | null
  readonly #limits: Partial<ClientStoreLimits>
  /** Open stores by lower-case username; in-memory ones live as long as the Session. */
  readonly #open = new Map<string, ClientStore>()

  constructor(dataDir: string | undefined, serverUrl: string, limits: Partial<ClientStoreLimits> = {}) {
    this.#dir = dataDir === undefined ? null : join(dataDir, serverFolder(serverUrl))
    this.#limits = limits
  }

  /** Where the store of `username` lives (`:memory:` without a data dir). */
  pathFor(username: string): string {
    return this.#dir === null ? ':memory:' : join(this.#dir, `${username.toLowerCase()}.sqlite`)
  }

  /**
   * The store and username for a login by name or id. A login by id needs a store that already
   * knows the id: the KDF salt is derived from the username, which the server must not name.
   * @throws ChatError('AUTH_FAILED') for an id this client has never logged in as.
   */
  forLogin(login: string): { store: ClientStore; username: string } {
    if (!UUID_RE.test(login)) return { store: this.open(login), username: login.toLowerCase() }
    for (const [username, store] of this.#open) {
      if (store.account()?.userId === login.toLowerCase()) return { store, username }
    }
    const path = this.#dir === null ? null : findClientStore(this.#dir, login)
    const store = path === null ? null : openClientStore(path, this.#limits)
    const username = store?.account()?.username
    if (!store || !username) {
      store?.close()
      throw new ChatError(
        'AUTH_FAILED',
        'this client has no record of that user id: log in by username once (the password salt is derived from it)',
      )
    }
    this.#open.set(username, store)
    return { store, username }
  }

  /** The store for `username`, opened on first use. */
  open(username: string): ClientStore {
    const name = username.toLowerCase()
    let store = this.#open.get(name)
    if (!store) {
      store = openClientStore(this.pathFor(name), this.#limits)
      this.#open.set(name, store)
    }
    return store
  }

  close(): void {
    for (const s of this.#open.values()) s.close()
    this.#open.clear()
  }
}
