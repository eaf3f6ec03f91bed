/**
 * @module One scenario's world: real servers on 127.0.0.1 port 0 (in this process, like the
 * tests' meshes), real client Sessions, temp folders, and a teardown that stops servers before
 * closing sessions (so nobody signs a goodbye to thousands of users).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PresenceMode } from '../../src/client/auth.ts'
import { Session } from '../../src/client/session.ts'
import type { KeyPair } from '../../src/crypto/index.ts'
import { type ServerHandle, startServer } from '../../src/server/index.ts'
import { pool, until } from './wait.ts'

export const PASSWORD = 'bench password, not a secret'
export const LOOPBACK = '127.0.0.1'

export type User = { session: Session; name: string; server: ServerHandle; userId: string }

export class World {
  readonly dir = mkdtempSync(join(tmpdir(), 'socp-bench-'))
  readonly servers: ServerHandle[] = []
  readonly users: User[] = []
  readonly #serverKeys: readonly KeyPair[]
  readonly #userKeys: readonly KeyPair[]
  #nextServerKey = 0
  #nextFolder = 0
  /** Session `error` events (RATE_LIMITED, USER_NOT_FOUND, dropped frames…), for the report. */
  readonly errors: string[] = []

  /** Whose presence the users' sessions are pushed (docs/wire.md §14). */
  readonly #presence: PresenceMode

  /** Server identities take distinct keys; users share `userKeys` round-robin. */
  constructor(serverKeys: readonly KeyPair[], userKeys: readonly KeyPair[], presence: PresenceMode = 'all') {
    this.#serverKeys = serverKeys
    this.#userKeys = userKeys
    this.#presence = presence
  }

  /** Starts one server, joined through `peers` (introducers), with production timings. */
  async server(peers: ServerHandle[] = [], name?: string): Promise<ServerHandle> {
    const keyPair = this.#serverKeys[this.#nextServerKey++ % this.#serverKeys.length]
    const s = await startServer({
      host: LOOPBACK,
      port: 0,
      serverId: 'auto',
      peers: peers.map((p) => ({ host: LOOPBACK, port: p.port })),
      db: join(this.dir, `server-${this.servers.length}.db`),
      statusMs: 600_000,
      // The load generator registers thousands of users from one loopback address.
      login: { registerBurst: 1_000_000 },
      name: name ?? `bench-s${this.servers.length}`,
      ...(keyPair ? { keyPair } : {}),
    })
    this.servers.push(s)
    await s.joined
    return s
  }

  /** An introducer and n − 1 servers joined through it; resolves once the mesh is full. */
  async mesh(n: number): Promise<ServerHandle[]> {
    const intro = await this.server()
    const rest: ServerHandle[] = []
    for (let i = 1; i < n; i++) rest.push(await this.server([intro]))
    const all = [intro, ...rest]
    await until(() => all.every((s) => s.ctx.peers.size === n - 1), 20_000, `a full mesh of ${n}`)
    return all
  }

  /** Registers (and so logs in) `name` on `server` with the i-th shared key. */
  async user(server: ServerHandle, name: string, keyIndex: number): Promise<User> {
    const downloadsDir = join(this.dir, `in-${this.#nextFolder++}`)
    const session = await Session.connect(server.url, { downloadsDir, presence: this.#presence })
    session.on('error', (e) => this.errors.push(`${name}: ${e.code} ${e.detail}`))
    const account = await session.register(name, PASSWORD, {
      keyPair: this.#userKeys[keyIndex % this.#userKeys.length]!,
    })
    const u = { session, name, server, userId: account.userId }
    this.users.push(u)
    return u
  }

  /**
   * Registers many users, `concurrency` at a time (each costs a scrypt here and an argon2 there),
   * and resolves once every server counts them online: a user is online at home when its
   * registration returns, and on the other servers a presence batch later, so a scenario that
   * started at once would race the mesh (a `/all` sent then reached 49 of 50 members).
   */
  async registerAll(
    specs: readonly { server: ServerHandle; name: string; keyIndex?: number }[],
    concurrency: number,
  ): Promise<User[]> {
    const users = await pool(specs, concurrency, (s, i) => this.user(s.server, s.name, s.keyIndex ?? i))
    const known = (s: ServerHandle, id: string) =>
      s.ctx.presence.local.has(id) || s.ctx.presence.locations.has(id)
    await until(
      () => this.servers.every((s) => users.every((u) => known(s, u.userId))),
      30_000,
      () => `every server to count the ${users.length} users online`,
    )
    return users
  }

  /** Stops every server, then closes every session, then removes the temp folder. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop().catch(() => {})))
    await Promise.all(this.users.map((u) => u.session.close().catch(() => {})))
    rmSync(this.dir, { recursive: true, force: true })
  }
}
