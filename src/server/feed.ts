/**
 * @module The presence feed: presence changes waiting for their batch, and which client links are
 * told about whom. A batch goes out at once when the feed was idle, else at most `delayMs` after
 * the previous one (docs/scale.md), so a burst of logins costs one signature per batch, not one per
 * login. The only writer of these tables; what a batch becomes on the wire is src/server/batch.ts.
 */

import type { Sendable } from './outbox.ts'
import type { OnlineUser } from './roster.ts'
import { Spread } from './spread.ts'

export type Change =
  | { readonly online: true; readonly user: OnlineUser }
  | { readonly online: false; readonly userId: string; readonly serverId: string }

/**
 * `own`: our users' changes, for the mesh and (as the same signed PRESENCE_BATCH) for clients that
 * follow everyone. `everyone`: other changes those clients still need a frame for. `watched`:
 * every change, for contacts-mode clients watching that user.
 */
export type Batch = {
  readonly own: readonly Change[]
  readonly everyone: readonly Change[]
  readonly watched: readonly Change[]
}

/** Which presence a client link is pushed (docs/wire.md §14). */
export type FollowMode = 'all' | 'contacts'

/** Longest a change waits for its batch. */
export const BATCH_DELAY_MS = 20

/**
 * Why a contacts-mode link watches a user: it `asked` (looked them up, wrote to them), or it
 * `heard` from them (a DM or a file came). Each kind has its own bound, the least recent dropped
 * first, so what others send can never push out the people a user asked about: a peer server can
 * make up any number of senders.
 */
export type WatchKind = 'asked' | 'heard'
export const WATCH_LIMIT: Readonly<Record<WatchKind, number>> = { asked: 1_000, heard: 100 }
type Watches = Record<WatchKind, Set<string>>

export const changeUser = (c: Change) => (c.online ? c.user.user_id : c.userId)

type Follower = Sendable
/** The first page of the online list as a login receives it. */
export type LoginPage = { users: OnlineUser[]; next?: string; total: number }

export class PresenceFeed {
  readonly #own = new Map<string, Change>()
  readonly #everyone = new Map<string, Change>()
  readonly #watched = new Map<string, Change>()
  readonly #send: (b: Batch) => Promise<void>
  readonly #delayMs: number
  #timer: ReturnType<typeof setTimeout> | null = null
  #last = 0
  #chain: Promise<void> = Promise.resolve()
  /** Batches flushed and not yet sent. */
  #sending = 0
  /** The login page, taken at most once per batch: every login in between gets the same payload. */
  #page: LoginPage | null = null
  /** Links pushed every change. */
  readonly #followers = new Set<Follower>()
  /** user id → links watching them; link → the users it watches (to forget it in O(its watches)). */
  readonly #watchers = new Map<string, Set<Follower>>()
  readonly #watching = new Map<Follower, Watches>()
  /** Writes to the links that follow everyone, a slice per event-loop turn. */
  readonly #spread = new Spread()

  constructor(send: (b: Batch) => Promise<void>, delayMs = BATCH_DELAY_MS) {
    this.#send = send
    this.#delayMs = delayMs
  }

  /**
   * One of our users came or went: the mesh and our clients hear it in the next batch. When the
   * feed is idle that batch starts now, so its signature is asked for before the login's other
   * frames (the public channel's, the ACK, the online page) and does not queue behind them; the
   * batch's sending is returned then (null when the change waits for a batch already due).
   */
  own(c: Change): Promise<void> | null {
    this.#put(this.#own, c)
    this.watched(c)
    return this.#idle() ? this.flush() : null
  }

  /** Another server's user came or went, not in a batch our clients got as is: they hear it next. */
  other(c: Change): void {
    this.#put(this.#everyone, c)
    this.watched(c)
  }

  /** A change clients that follow everyone already got (a forwarded batch): only watchers need it. */
  watched(c: Change): void {
    this.#put(this.#watched, c)
    if (this.#timer) return
    const wait = Math.max(0, this.#last + this.#delayMs - Date.now())
    this.#timer = setTimeout(() => void this.flush(), wait)
  }

  /** Sends what is queued now (batches stay in order); resolves when it has gone out. */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#last = Date.now()
    this.#page = null
    const batch: Batch = {
      own: [...this.#own.values()],
      everyone: [...this.#everyone.values()],
      watched: [...this.#watched.values()],
    }
    this.#own.clear()
    this.#everyone.clear()
    this.#watched.clear()
    if (batch.watched.length === 0) return this.#chain
    // Nothing in flight: start at once (synchronously), else behind the batch before, in order.
    const send = this.#sending === 0 ? this.#send(batch) : this.#chain.then(() => this.#send(batch))
    this.#sending++
    this.#chain = send.catch(() => {}).finally(() => this.#sending--)
    return this.#chain
  }

  /** No batch is being sent and the last went out at least `delayMs` ago. */
  #idle(): boolean {
    return this.#sending === 0 && Date.now() - this.#last >= this.#delayMs
  }

  /**
   * The snapshot a login receives, built at most once per batch, so its signature is the Outbox's
   * memo hit for every other login of that batch. Any change after it is in the next batch.
   */
  loginPage(build: () => LoginPage): LoginPage {
    this.#page ??= build()
    return this.#page
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  // --- who hears what ---

  /** A logged-in client link: pushed everyone's presence, or only its contacts'. */
  follow(link: Follower, mode: FollowMode): void {
    if (mode === 'all') this.#followers.add(link)
  }

  /** `link` asked about `userId`, or heard from them: it is told when they come and go. */
  watch(link: Follower, userId: string, kind: WatchKind = 'asked'): void {
    if (this.#followers.has(link)) return
    const mine = this.#watching.get(link) ?? { asked: new Set<string>(), heard: new Set<string>() }
    this.#watching.set(link, mine)
    // A user asked about stays among the asked: hearing from them changes nothing.
    if (kind === 'heard' && mine.asked.has(userId)) return
    if (kind === 'asked') mine.heard.delete(userId)
    const pool = mine[kind]
    pool.delete(userId)
    pool.add(userId)
    if (pool.size > WATCH_LIMIT[kind]) this.#unwatch(link, pool.values().next().value as string)
    const set = this.#watchers.get(userId) ?? new Set<Follower>()
    set.add(link)
    this.#watchers.set(userId, set)
  }

  /** The link logged out or closed. */
  leave(link: Follower): void {
    this.#followers.delete(link)
    const mine = this.#watching.get(link)
    for (const u of [...(mine?.asked ?? []), ...(mine?.heard ?? [])]) this.#unwatch(link, u)
    this.#watching.delete(link)
  }

  /** How many users `link` watches, of each kind. */
  watchCount(link: Follower): Record<WatchKind, number> {
    const mine = this.#watching.get(link)
    return { asked: mine?.asked.size ?? 0, heard: mine?.heard.size ?? 0 }
  }

  /** Links pushed every change. */
  get everyone(): ReadonlySet<Follower> {
    return this.#followers
  }

  /**
   * A presence frame for every link that follows everyone now, in order after those before it,
   * written a slice per event-loop turn (src/server/spread.ts): the tables it reports have
   * changed already, and other links' frames are not held up behind thousands of writes.
   */
  toEveryone(text: string): void {
    this.#spread.send(this.#followers, text)
  }

  /** Contacts-mode links watching any of `changes`, each with the changes it watches. */
  watchersOf(changes: readonly Change[]): Map<Follower, Change[]> {
    const out = new Map<Follower, Change[]>()
    for (const c of changes)
      for (const link of this.#watchers.get(changeUser(c)) ?? []) out.set(link, [...(out.get(link) ?? []), c])
    return out
  }

  #unwatch(link: Follower, userId: string): void {
    const mine = this.#watching.get(link)
    mine?.asked.delete(userId)
    mine?.heard.delete(userId)
    const set = this.#watchers.get(userId)
    set?.delete(link)
    if (set?.size === 0) this.#watchers.delete(userId)
  }

  #put(queue: Map<string, Change>, c: Change): void {
    // One entry per user, the newest last: a login and logout in one batch leave only the logout.
    queue.delete(changeUser(c))
    queue.set(changeUser(c), c)
  }
}
