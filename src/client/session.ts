/**
 * @module The protocol client library: one user's session with one server, UI-free and
 * promise-based. The terminal client drives it, and so do the server's tests.
 * @example
 * const s = await Session.connect('ws://127.0.0.1:8765', { downloadsDir: '/tmp/in' })
 * await s.login('alice', password)
 * s.on('dm', (m) => console.log(m.fromName, m.text))
 * await s.tell('bob', 'hi')
 * await s.close()
 */

import { fingerprint, type KeyPair, signPayload } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import { logger } from '../log.ts'
import type { ClientTls } from '../net/index.ts'
import type { ClientFrameType, ClientPayloadOf, ServerToClientFrame } from '../protocol/index.ts'
import type { ClientStore, ClientStoreLimits } from '../store/index.ts'
import type { FileLimits } from './_files.ts'
import { AccountStores } from './account-store.ts'
import type { Identity, PresenceMode } from './auth.ts'
import { Contacts, type KeyInfo, type OnlineUser } from './contacts.ts'
import { Emitter, type SessionEvents } from './events.ts'
import type { AcceptFiles } from './files-in.ts'
import { type SentFile, sendFile } from './files-out.ts'
import { createInbox, FrameQueue, type InboxContext } from './inbox.ts'
import { ClientLink, is } from './link.ts'
import { messageBytes, publicFrames, sealDirect } from './messages.ts'
import { loginIn, registerIn } from './sign-in.ts'

const log = logger('client')

export type SessionOptions = {
  /** What a wss:// server's certificate is checked against (src/net/tls.ts); default the system store. */
  tls?: ClientTls | undefined
  /**
   * Root of the per-account client stores (pins, name bindings, replay cache): one SQLite file per
   * account at `<dataDir>/<host_port>/<username>.sqlite`. Omitted = in memory, for this Session only.
   */
  dataDir?: string
  storeLimits?: Partial<ClientStoreLimits>
  /** Refuse a server-chosen (legacy) KDF salt even for an account this client has not seen migrate. */
  strictKdf?: boolean
  /** Files from unverified senders: `all` accepted (default), `verified` only, or `ask` ('file-offer'). */
  acceptFiles?: AcceptFiles
  /** Where received files go (default: the current directory). */
  downloadsDir?: string
  fileLimits?: Partial<FileLimits>
  /**
   * Whose presence the server pushes: `all` (default) — everyone's, as the terminal client shows
   * it; `contacts` — only users this session looked up (docs/wire.md §10, docs/scale.md).
   */
  presence?: PresenceMode
}

export type { KeyInfo, OnlineUser }
export type Account = { userId: string; username: string }

type LoggedIn = { id: Identity; inbox: InboxContext; contacts: Contacts; store: ClientStore }

export class Session extends Emitter<SessionEvents> {
  readonly #url: string
  readonly #opts: SessionOptions
  readonly #stores: AccountStores
  #link: ClientLink
  #auth: LoggedIn | null = null
  readonly #frames = new FrameQueue((f, e) =>
    log.error('failed to handle a frame', { type: f.type, error: String(e) }),
  )
  #closing = false
  #listing: Promise<OnlineUser[]> | null = null
  readonly #pending = new Set<Promise<unknown>>()

  private constructor(url: string, link: ClientLink, opts: SessionOptions) {
    super()
    this.#url = url
    this.#opts = opts
    this.#stores = new AccountStores(opts.dataDir, url, opts.storeLimits)
    this.#link = link
    this.#attach(link)
  }

  /** Opens a WebSocket to `url` (nothing is sent until register or login). */
  static async connect(url: string, opts: SessionOptions = {}): Promise<Session> {
    return new Session(url, await ClientLink.open(url, undefined, opts.tls), opts)
  }

  get userId(): string | null {
    return this.#auth?.id.userId ?? null
  }
  get username(): string | null {
    return this.#auth?.id.username ?? null
  }
  get serverId(): string | null {
    return this.#auth?.id.serverId ?? null
  }

  /**
   * Creates an account (docs/wire.md §2) and logs in. `keyPair` lets tests reuse keys.
   * @throws ChatError with the server's code: NAME_IN_USE, BAD_REQUEST, BAD_KEY, …
   */
  async register(username: string, password: string, opts: { keyPair?: KeyPair } = {}): Promise<Account> {
    const link = await this.#preAuthLink()
    const r = await registerIn(this.#stores, link, username, password, opts.keyPair, this.#opts.presence)
    return this.#bind(r.id, r.store)
  }

  /**
   * Logs in by username, or by a user id this client has logged in as before (docs/wire.md §3).
   * An account still on server-chosen KDF parameters is moved to client-owned ones (USER_REKEY).
   * @throws ChatError('AUTH_FAILED'), BAD_KEY when the server answers for another account, …
   */
  async login(usernameOrUuid: string, password: string): Promise<Account> {
    const link = await this.#preAuthLink()
    const strict = this.#opts.strictKdf ?? false
    const r = await loginIn(this.#stores, link, usernameOrUuid, password, strict, this.#opts.presence)
    return this.#bind(r.id, r.store)
  }

  /**
   * One user's name, server and key (LOOKUP → USER_INFO), learned through the pin check: how a
   * session gets the key of someone it talks to without listing everyone. From then on the server
   * tells this session when they come and go. @throws ChatError('USER_NOT_FOUND')
   */
  async lookup(userOrName: string): Promise<OnlineUser> {
    const { id, contacts } = this.#loggedIn()
    const answer = this.#link.expect(is('USER_INFO'), { timeoutMs: 10_000 })
    await this.#send('LOOKUP', id.serverId, this.#now(), { user: userOrName })
    const u = (await answer).payload
    const user = { userId: u.user_id, username: u.username, serverId: u.server_id, pubkey: u.pubkey }
    contacts.learn(user, false)
    return user
  }

  /** Online users across the mesh, sorted by username (LIST → USER_LIST); refreshes the directory. */
  list(): Promise<OnlineUser[]> {
    this.#listing ??= this.#list().finally(() => {
      this.#listing = null
    })
    return this.#listing
  }

  /**
   * Sends an end-to-end encrypted DM to a username or user id.
   * @throws ChatError('BAD_REQUEST') above 446 UTF-8 bytes; USER_NOT_FOUND; BAD_KEY on a key change.
   */
  tell(userOrName: string, text: string): Promise<void> {
    return this.#track(async () => {
      const { id } = this.#loggedIn()
      const bytes = messageBytes(text)
      const to = await this.#recipient(userOrName)
      const ts = this.#now()
      const payload = await sealDirect(id.key, to.pubkey, bytes, { from: id.userId, to: to.userId, ts })
      await this.#send('MSG_DIRECT', to.userId, ts, payload)
      this.#loggedIn().contacts.messaged(to.userId)
    })
  }

  /**
   * Sends to every online member except us, RSA-OAEP per member, in batches of ≤ 32 (docs/wire.md §6).
   * Users whose key differs from its pin are skipped and named in `skipped`.
   */
  all(text: string): Promise<{ recipients: number; skipped: string[] }> {
    return this.#track(async () => {
      const { id } = this.#loggedIn()
      const bytes = messageBytes(text)
      await this.list()
      const { members, skipped } = this.#loggedIn().contacts.publicMembers()
      const ids = { from: id.userId, ts: this.#now() }
      for (const frame of members.length > 0 ? await publicFrames(id.key, members, bytes, ids) : []) {
        await this.#link.drain()
        this.#link.send(frame)
      }
      return { recipients: members.length, skipped }
    })
  }

  /** Sends a file (docs/wire.md §7); resolves once every frame has been handed to the socket. */
  sendFile(
    userOrName: string,
    path: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<SentFile> {
    return this.#track(async () => {
      const { id } = this.#loggedIn()
      const to = await this.#recipient(userOrName)
      this.#loggedIn().contacts.messaged(to.userId)
      const ctx = { link: this.#link, key: id.key, me: id.userId, now: () => this.#now(), events: this }
      return sendFile(ctx, to, path, onProgress)
    })
  }

  /** The fingerprint of a user's key (ours when no user is given), to compare out of band. */
  async fingerprint(userOrName?: string): Promise<KeyInfo> {
    const { id, contacts } = this.#loggedIn()
    if (userOrName === undefined) {
      return { userId: id.userId, username: id.username, fingerprint: fingerprint(id.key.publicKey) }
    }
    if (!contacts.directory.resolve(userOrName)) await this.#lookupQuietly(userOrName)
    return contacts.keyInfo(userOrName)
  }

  /** Accepts a changed key or id as the new pin (see Contacts.trust). @throws USER_NOT_FOUND, BAD_REQUEST */
  async trust(userOrName: string): Promise<KeyInfo> {
    const { contacts } = this.#loggedIn()
    if (!contacts.directory.resolve(userOrName)) await this.#lookupQuietly(userOrName)
    return contacts.trust(userOrName)
  }

  /** Marks a user verified after an out-of-band fingerprint check (see Contacts.verify). */
  async verify(userOrName: string): Promise<KeyInfo> {
    const { contacts } = this.#loggedIn()
    if (!contacts.directory.resolve(userOrName)) await this.#lookupQuietly(userOrName)
    return contacts.verify(userOrName)
  }

  /** Accepts or declines a file offered by an unverified sender (`file-offer`). @throws BAD_REQUEST */
  decideFile(fileId: string, accept: boolean): void {
    if (!this.#loggedIn().inbox.files.decide(fileId, accept)) {
      throw new ChatError('BAD_REQUEST', `no file ${fileId} is waiting for a decision`)
    }
  }

  /** Waits for every send and transfer in progress, then for the socket buffer to empty. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    await this.#frames.idle()
    await this.#auth?.inbox.files.idle()
    if (this.#link.isOpen) await this.#link.drain(0)
  }

  /** Sends CTRL_CLOSE and closes with 1000. */
  async close(): Promise<void> {
    this.#closing = true
    const [from, to] = [this.userId ?? '', this.serverId ?? '']
    await this.#link.close({ type: 'CTRL_CLOSE', from, to, ts: this.#now(), payload: {} })
    this.#auth?.inbox.files.dispose()
    await this.#frames.idle()
    this.#stores.close()
  }

  // --- internals ---

  #attach(link: ClientLink): void {
    link.onFrame((f) => this.#frames.push(f))
    link.onClose((code, reason) => {
      // Before login a closed link is simply reopened by the next register/login; after close()
      // the caller knows already. Only a session the server or the network ended is reported.
      if (this.#auth && !this.#closing) this.emit('closed', { code, reason })
    })
  }

  async #preAuthLink(): Promise<ClientLink> {
    if (this.#auth) throw new ChatError('BAD_REQUEST', `already logged in as ${this.#auth.id.username}`)
    if (!this.#link.isOpen) {
      this.#link = await ClientLink.open(this.#url, undefined, this.#opts.tls)
      this.#attach(this.#link)
    }
    return this.#link
  }

  #bind(id: Identity, store: ClientStore): Account {
    const contacts = new Contacts(store, this, id.userId)
    // Our own name is bound to our id: a server listing another "us" is caught like any impostor.
    if (!store.contact(id.userId)) {
      store.pin({
        userId: id.userId,
        username: id.username,
        serverId: id.serverId,
        pubkey: id.key.publicKey.spki,
      })
    }
    const inbox = createInbox({
      me: id.userId,
      key: id.key,
      events: this,
      contacts,
      store,
      senderKey: (user, pub) => this.#senderKey(user, pub),
      downloadsDir: this.#opts.downloadsDir ?? '.',
      limits: this.#opts.fileLimits,
      acceptFiles: this.#opts.acceptFiles ?? 'all',
    })
    this.#auth = { id, inbox, contacts, store }
    this.#frames.start(inbox)
    return { userId: id.userId, username: id.username }
  }

  #loggedIn(): LoggedIn {
    if (!this.#auth) throw new ChatError('BAD_REQUEST', 'not logged in (use /register or /login)')
    return this.#auth
  }

  #now(): number {
    return Date.now() + (this.#auth?.id.skew ?? 0)
  }

  /** Every page of the online list (docs/wire.md §4), then applied as the whole truth. */
  async #list(): Promise<OnlineUser[]> {
    const { id } = this.#loggedIn()
    const users: Extract<ServerToClientFrame, { type: 'USER_LIST' }>['payload']['users'] = []
    let after: string | undefined
    do {
      const answer = this.#link.expect(is('USER_LIST'), { errors: false, timeoutMs: 10_000 })
      await this.#send('LIST', id.serverId, this.#now(), after === undefined ? {} : { after })
      const page = (await answer).payload
      users.push(...page.users)
      after = page.next
    } while (after !== undefined)
    return this.#loggedIn().contacts.applyList(users)
  }

  /** The recipient entry; a user not known yet is looked up (their key fetched, pinned) once. */
  async #recipient(userOrName: string) {
    const { contacts } = this.#loggedIn()
    if (!contacts.directory.resolve(userOrName)) await this.#lookupQuietly(userOrName)
    return contacts.recipient(userOrName)
  }

  async #senderKey(userId: string, senderPub: string) {
    const { contacts } = this.#loggedIn()
    if (!contacts.directory.get(userId)) await this.#lookupQuietly(userId)
    return contacts.senderKey(userId, senderPub)
  }

  /** A lookup whose failure the caller reports in its own words (USER_NOT_FOUND, no key). */
  async #lookupQuietly(userOrName: string): Promise<void> {
    await this.lookup(userOrName).catch((e) => {
      if (!(e instanceof ChatError)) throw e
    })
  }

  async #send<K extends ClientFrameType>(
    type: K,
    to: string,
    ts: number,
    payload: ClientPayloadOf<K>,
  ): Promise<void> {
    const { id } = this.#loggedIn()
    // MSG_DIRECT's link `sig` is optional (spec-notes §6.2) and our server does not check it: the
    // link is bound to us at USER_HELLO and `content_sig` signs the message end to end. Skipping it
    // saves one of the five RSA private-key operations of a DM (`npm run bench`: ≈ 4 ms each).
    if (type === 'MSG_DIRECT') return this.#link.send<K>({ type, from: id.userId, to, ts, payload })
    const sig = await signPayload(id.key, payload)
    this.#link.send<K>({ type, from: id.userId, to, ts, payload, sig })
  }

  #track<T>(run: () => Promise<T>): Promise<T> {
    const p = run()
    const tracked = p.catch(() => {}).finally(() => this.#pending.delete(tracked))
    this.#pending.add(tracked)
    return p
  }
}
