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

import { type KeyPair, signPayload } from '../crypto/index.ts'
import { ChatError } from '../errors.ts'
import { logger } from '../log.ts'
import type { ClientTls } from '../net/index.ts'
import type { ClientFrame, ClientFrameType, ClientPayloadOf, DeliveryStatus } from '../protocol/index.ts'
import type { ClientStore, ClientStoreLimits } from '../store/index.ts'
import type { FileLimits } from './_files.ts'
import { AccountStores } from './account-store.ts'
import type { Identity, PresenceMode } from './auth.ts'
import { Connection } from './connection.ts'
import type { KeyInfo, OnlineUser } from './contacts.ts'
import { Emitter, type SessionEvents } from './events.ts'
import type { AcceptFiles } from './files-in.ts'
import type { SentFile } from './files-out.ts'
import type { HistoryEntry } from './history.ts'
import { FrameQueue } from './inbox.ts'
import { KeyTrust } from './key-trust.ts'
import { ClientLink } from './link.ts'
import { Lookups } from './lookups.ts'
import { messageBytes, publicFrames, sealDirect } from './messages.ts'
import { loginIn, registerIn } from './sign-in.ts'
import { conversationPeer, type SignedIn, signedIn } from './signed-in.ts'
import { type Transfer, Transfers } from './transfers.ts'

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
  /** Reconnect attempts after a lost connection before giving up (default: unlimited). */
  maxReconnects?: number
  /**
   * Whose presence the server pushes: `all` (default) — everyone's, as the terminal client shows
   * it; `contacts` — only users this session looked up (docs/wire.md §14, docs/scale.md).
   */
  presence?: PresenceMode
}

export type { KeyInfo, OnlineUser }
export type Account = { userId: string; username: string }
/** What became of a DM: handed on now, or kept by the recipient's home server until they log in. */
export type Told = { status: DeliveryStatus; to: string; toName: string; ts: number }

export class Session extends Emitter<SessionEvents> {
  readonly #opts: SessionOptions
  readonly #stores: AccountStores
  readonly #conn: Connection
  #auth: SignedIn | null = null
  readonly #frames = new FrameQueue((f, e) =>
    log.error('failed to handle a frame', { type: f.type, error: String(e) }),
  )
  readonly #lookups = new Lookups({
    link: () => this.#conn.link,
    loggedIn: () => this.#loggedIn(),
    now: () => this.#now(),
    send: (type, to, ts, payload) => this.#send(type, to, ts, payload),
  })
  readonly #pending = new Set<Promise<unknown>>()
  readonly #transfers = new Transfers()
  readonly #trust = new KeyTrust({
    loggedIn: () => this.#loggedIn(),
    lookups: this.#lookups,
    tell: (userId, text) => this.tell(userId, text),
    error: (e) => this.emit('error', e),
  })
  /** The user id of the current conversation (plain text goes there). */
  #current: string | null = null

  private constructor(url: string, link: ClientLink, opts: SessionOptions) {
    super()
    this.#opts = opts
    this.#stores = new AccountStores(opts.dataDir, url, opts.storeLimits)
    this.#conn = new Connection(url, link, opts, {
      onFrame: (f) => this.#frames.push(f),
      identity: () => this.#auth?.id ?? null,
      resumed: (id) => {
        if (this.#auth) this.#auth = { ...this.#auth, id }
      },
      events: this,
    })
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
    const r = await this.#onFreshLink((link) =>
      registerIn(this.#stores, link, username, password, opts.keyPair, this.#opts.presence),
    )
    return this.#bind(r.id, r.store)
  }

  /**
   * Logs in by username, or by a user id this client has logged in as before (docs/wire.md §3).
   * An account still on server-chosen KDF parameters is moved to client-owned ones (USER_REKEY).
   * @throws ChatError('AUTH_FAILED'), BAD_KEY when the server answers for another account, …
   */
  async login(usernameOrUuid: string, password: string): Promise<Account> {
    const strict = this.#opts.strictKdf ?? false
    const r = await this.#onFreshLink((link) =>
      loginIn(this.#stores, link, usernameOrUuid, password, strict, this.#opts.presence),
    )
    return this.#bind(r.id, r.store)
  }

  /**
   * One user's name, server and key (LOOKUP → USER_INFO), learned through the pin check: how a
   * session gets the key of someone it talks to without listing everyone. From then on the server
   * tells this session when they come and go. @throws ChatError('USER_NOT_FOUND')
   */
  async lookup(userOrName: string): Promise<OnlineUser> {
    return this.#lookups.online(userOrName)
  }

  /** Online users across the mesh, sorted by username (LIST → USER_LIST); refreshes the directory. */
  list(): Promise<OnlineUser[]> {
    return this.#lookups.list()
  }

  /**
   * Sends an end-to-end encrypted DM to a username or user id.
   * @throws ChatError('BAD_REQUEST') above 446 UTF-8 bytes; USER_NOT_FOUND; BAD_KEY on a key change.
   */
  tell(userOrName: string, text: string): Promise<Told> {
    return this.#track(async () => {
      const { id } = this.#loggedIn()
      const bytes = messageBytes(text)
      const to = await this.#lookups
        .recipient(userOrName)
        .catch((e: unknown) => this.#trust.holdRefused(e, userOrName, text))
      const ts = this.#now()
      const payload = await sealDirect(id.key, to.pubkey, bytes, { from: id.userId, to: to.userId, ts })
      this.#loggedIn().contacts.messaged(to.userId)
      this.#current = to.userId
      const status = await this.#send('MSG_DIRECT', to.userId, ts, payload)
      this.#auth?.history.record({ dir: 'out', peer: to.userId, peerName: to.username, text, ts })
      return { status, to: to.userId, toName: to.username, ts }
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
      const sent: Promise<DeliveryStatus>[] = []
      for (const frame of members.length > 0 ? await publicFrames(id.key, members, bytes, ids) : []) {
        await this.#conn.drain()
        sent.push(this.#conn.send(frame))
      }
      await Promise.all(sent)
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
      const { id, contacts } = this.#loggedIn()
      const to = await this.#lookups.recipient(userOrName)
      contacts.messaged(to.userId)
      const ctx = {
        send: <K extends ClientFrameType>(f: ClientFrame<K>) => this.#conn.send(f),
        drain: () => this.#conn.drain(),
        key: id.key,
        me: id.userId,
        now: () => this.#now(),
        events: this,
      }
      return this.#transfers.send(ctx, to, path, onProgress)
    })
  }

  /** Outgoing transfers in progress (/transfers). */
  transfers(): Transfer[] {
    return this.#transfers.list()
  }

  /** Stops an outgoing transfer by (a prefix of) its file id (/cancel). @throws BAD_REQUEST */
  cancelTransfer(fileIdPrefix: string): Transfer {
    return this.#transfers.cancel(fileIdPrefix)
  }

  /** The fingerprint of a user's key (ours when no user is given), to compare out of band. */
  fingerprint(userOrName?: string): Promise<KeyInfo> {
    return this.#trust.fingerprint(userOrName)
  }

  /**
   * Accepts a changed key or id as the new pin (see Contacts.trust), then sends the DMs that were
   * held because of the change; `resent` counts those the server took.
   * @throws USER_NOT_FOUND, BAD_REQUEST
   */
  trust(userOrName: string): Promise<KeyInfo & { resent: number }> {
    return this.#trust.trust(userOrName)
  }

  /** Marks a user verified after an out-of-band fingerprint check (see Contacts.verify). */
  verify(userOrName: string): Promise<KeyInfo> {
    return this.#trust.verify(userOrName)
  }

  /**
   * The recent conversation with one user (or with everyone), oldest first, from the client
   * store's sealed history: it survives restarts of this client.
   */
  history(userOrName?: string, limit = 20): HistoryEntry[] {
    const auth = this.#loggedIn()
    return auth.history.recent(userOrName === undefined ? null : conversationPeer(auth, userOrName), limit)
  }

  /** Names of everyone online and of users we know, for Tab completion. */
  onlineNames(): string[] {
    const c = this.#auth?.contacts
    if (!c) return []
    return [...new Set([...c.directory.online(), ...c.known.online()].map((e) => e.username))].sort()
  }

  /** Who plain text goes to: the last user we wrote to or who wrote to us. */
  get current(): string | null {
    if (!this.#current || !this.#auth) return null
    const c = this.#auth.contacts
    return (c.directory.get(this.#current) ?? c.known.get(this.#current))?.username ?? this.#current
  }

  /** Leaves the account but keeps the program: the next /login or /register starts afresh. */
  async logout(): Promise<void> {
    const auth = this.#loggedIn()
    await this.flush()
    const ctrl = {
      type: 'CTRL_CLOSE' as const,
      from: auth.id.userId,
      to: auth.id.serverId,
      ts: this.#now(),
      payload: {},
    }
    await this.#conn.close(ctrl, { logout: true })
    auth.inbox.files.dispose()
    auth.off()
    this.#auth = null
    this.#trust.clear()
    this.#current = null
  }

  /** Accepts or declines a file offered by an unverified sender (`file-offer`). @throws BAD_REQUEST */
  decideFile(fileId: string | undefined, accept: boolean): { fileId: string; name: string } {
    const decided = this.#loggedIn().inbox.files.decide(fileId, accept)
    if (!decided) {
      const which = fileId === undefined ? 'no file' : `no single file ${fileId}`
      throw new ChatError('BAD_REQUEST', `${which} is waiting for a decision`)
    }
    return decided
  }

  /**
   * Waits for every send and transfer in progress and for our server to acknowledge every frame
   * (docs/wire.md §11), then for what was received to be handled.
   */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    await this.#conn.flush()
    await this.#frames.idle()
    await this.#auth?.inbox.files.idle()
  }

  /** Frames sent and not acknowledged yet. */
  get unacknowledged(): number {
    return this.#conn.unacknowledged
  }

  /** Sends CTRL_CLOSE and closes with 1000. */
  async close(): Promise<void> {
    this.#transfers.cancelAll()
    const [from, to] = [this.userId ?? '', this.serverId ?? '']
    await this.#conn.close({ type: 'CTRL_CLOSE', from, to, ts: this.#now(), payload: {} })
    this.#auth?.inbox.files.dispose()
    await this.#frames.idle()
    this.#stores.close()
  }

  // --- internals ---

  /**
   * Runs a register or login exchange; if the server closed the link before it could start — a
   * link left idle past the hello timeout while a key pair was made on a slow machine — once more
   * on a new link.
   */
  async #onFreshLink<T>(run: (link: ClientLink) => Promise<T>): Promise<T> {
    const link = await this.#preAuthLink()
    try {
      return await run(link)
    } catch (e) {
      const closed =
        e instanceof ChatError && e.code === 'INTERNAL' && e.message.startsWith('connection closed')
      if (!closed || link.isOpen) throw e
      return run(await this.#preAuthLink())
    }
  }

  async #preAuthLink(): Promise<ClientLink> {
    if (this.#auth) throw new ChatError('BAD_REQUEST', `already logged in as ${this.#auth.id.username}`)
    return this.#conn.preAuth()
  }

  #bind(id: Identity, store: ClientStore): Account {
    this.#auth = signedIn(id, store, {
      events: this,
      lookups: this.#lookups,
      downloadsDir: this.#opts.downloadsDir ?? '.',
      fileLimits: this.#opts.fileLimits,
      acceptFiles: this.#opts.acceptFiles ?? 'all',
      confirmKept: (upto) => this.#confirmKept(id.userId, id.serverId, upto),
      heardFrom: (userId) => {
        this.#current = userId
      },
    })
    this.#frames.start(this.#auth.inbox)
    this.#conn.loggedIn()
    return { userId: id.userId, username: id.username }
  }

  #loggedIn(): SignedIn {
    if (!this.#auth) throw new ChatError('BAD_REQUEST', 'not logged in (use /register or /login)')
    return this.#auth
  }

  #now(): number {
    return Date.now() + (this.#auth?.id.skew ?? 0)
  }

  /** A lost confirmation only means the kept frames come again next login; the replay cache drops them. */
  #confirmKept(from: string, to: string, upto: number): void {
    const link = this.#conn.link
    if (link.isOpen) link.send({ type: 'ACK', from, to, ts: this.#now(), payload: { msg_ref: 'KEPT', upto } })
  }

  /** Sends one frame; resolves with the server's verdict for acknowledged frames (docs/wire.md §11). */
  async #send<K extends ClientFrameType>(
    type: K,
    to: string,
    ts: number,
    payload: ClientPayloadOf<K>,
  ): Promise<DeliveryStatus> {
    const { id } = this.#loggedIn()
    // MSG_DIRECT's link `sig` is optional (spec-notes §6.2) and our server does not check it: the
    // link is bound to us at USER_HELLO and `content_sig` signs the message end to end. Skipping it
    // saves one of the five RSA private-key operations of a DM (`npm run bench`: ≈ 4 ms each).
    const sig = type === 'MSG_DIRECT' ? undefined : await signPayload(id.key, payload)
    const frame: ClientFrame<K> = { type, from: id.userId, to, ts, payload, ...(sig && { sig }) }
    return this.#conn.send(frame)
  }

  #track<T>(run: () => Promise<T>): Promise<T> {
    const p = run()
    const tracked = p.catch(() => {}).finally(() => this.#pending.delete(tracked))
    this.#pending.add(tracked)
    return p
  }
}
