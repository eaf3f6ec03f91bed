/**
 * @module The per-account client store: pins, name → id bindings and the replay cache in one
 * SQLite file the user alone can read (issue 15). Written row by row inside transactions, never
 * rewritten whole; bounded, pruning first the contacts never messaged nor verified. Sightings (a
 * first key pinned, a known one seen again) are written together, within a second
 * (src/store/sightings.ts); every other write is on disk when it returns, and writes the
 * sightings before it, so the file always holds a prefix of what was done.
 */

import type { Database } from 'bun:sqlite'
import { type HistoryRepo, historyRepo } from './client-history.ts'
import { type ReplayRepo, replayRepo } from './client-replay.ts'
import { type FirstSighting, Sightings } from './sightings.ts'

/** A pinned contact. `verifiedAt` is set by /verify; `lastMessaged` by any exchange. */
export type Contact = {
  userId: string
  username: string
  serverId: string
  pubkey: string
  firstSeen: number
  lastSeen: number
  verifiedAt: number | null
  lastMessaged: number | null
}

export type ClientAccount = { userId: string; username: string; kdfMigrated: boolean }

export type ClientStoreLimits = {
  /** Contacts kept; beyond it the never-messaged, unverified ones seen longest ago go first. */
  maxContacts: number
  /** Replay entries kept (newest win). */
  maxReplay: number
}

export const DEFAULT_CLIENT_LIMITS: ClientStoreLimits = { maxContacts: 20_000, maxReplay: 50_000 }

type ContactRow = {
  user_id: string
  username: string
  server_id: string
  pubkey: string
  first_seen: number
  last_seen: number
  verified_at: number | null
  last_messaged: number | null
}

const toContact = (r: ContactRow): Contact => ({
  userId: r.user_id,
  username: r.username,
  serverId: r.server_id,
  pubkey: r.pubkey,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
  verifiedAt: r.verified_at,
  lastMessaged: r.last_messaged,
})

/** The repository over one client store file. Every method is one statement or one transaction. */
export class ClientStore {
  readonly #db: Database
  readonly #lim: ClientStoreLimits
  /** The sealed message history (issue 13). */
  readonly history: HistoryRepo
  readonly #q
  /** Contacts held, counted once at open and kept up to date, so pinning stays O(1). */
  #contacts: number
  readonly #replay: ReplayRepo
  readonly #sightings: Sightings

  constructor(db: Database, limits: ClientStoreLimits) {
    this.#db = db
    this.#lim = limits
    this.history = historyRepo(db, () => this.#sightings.settle())
    this.#replay = replayRepo(db, () => this.#sightings.settle(), limits.maxReplay)
    this.#sightings = new Sightings({
      pin: (p, at) => this.#pin(p, at, false),
      seen: (userId, serverId, at) => this.#q.seen.run(userId, serverId, at),
      transaction: (fn) => {
        try {
          this.#db.transaction(fn)()
        } catch (e) {
          // Rolled back: the count taken inside it is not the file's any more.
          this.#contacts = this.#q.count.get()?.n ?? 0
          throw e
        }
      },
    })
    this.#q = {
      account: db.prepare<{ user_id: string; username: string; kdf_migrated: number }, []>(
        'SELECT user_id, username, kdf_migrated FROM account WHERE id = 1',
      ),
      setAccount: db.prepare<never, [string, string, number]>(
        `INSERT INTO account (id, user_id, username, created_at) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET username = excluded.username`,
      ),
      migrated: db.prepare<never, []>('UPDATE account SET kdf_migrated = 1 WHERE id = 1'),
      contact: db.prepare<ContactRow, [string]>('SELECT * FROM contacts WHERE user_id = ?'),
      byName: db.prepare<ContactRow, [string]>(
        `SELECT c.* FROM names n JOIN contacts c ON c.user_id = n.user_id WHERE n.username = ?
         ORDER BY c.first_seen, c.user_id`,
      ),
      bound: db.prepare<{ one: number }, [string]>('SELECT 1 AS one FROM names WHERE username = ? LIMIT 1'),
      upsert: db.prepare<never, [string, string, string, string, number]>(
        `INSERT INTO contacts (user_id, username, server_id, pubkey, first_seen, last_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, server_id = excluded.server_id,
           pubkey = excluded.pubkey, verified_at = NULL, last_seen = excluded.last_seen`,
      ),
      bind: db.prepare<never, [string, string, number]>(
        'INSERT OR IGNORE INTO names (username, user_id, bound_at) VALUES (?, ?, ?)',
      ),
      seen: db.prepare<never, [string, string, number]>(
        'UPDATE contacts SET server_id = ?2, last_seen = ?3 WHERE user_id = ?1',
      ),
      verify: db.prepare<never, [number | null, string, string]>(
        'UPDATE contacts SET verified_at = ? WHERE user_id = ? AND pubkey = ?',
      ),
      messaged: db.prepare<never, [number, string]>(
        'UPDATE contacts SET last_messaged = ? WHERE user_id = ?',
      ),
      count: db.prepare<{ n: number }, []>('SELECT count(*) AS n FROM contacts'),
      prune: db.prepare<never, [number, string]>(
        `DELETE FROM contacts WHERE user_id IN (SELECT user_id FROM contacts
           WHERE last_messaged IS NULL AND verified_at IS NULL AND user_id <> ?2
           ORDER BY last_seen, user_id LIMIT ?1)`,
      ),
    }
    this.#contacts = this.#q.count.get()?.n ?? 0
  }

  // --- account ---

  /** Whose store this is; `null` before the first login. */
  account(): ClientAccount | null {
    const r = this.#q.account.get()
    return r ? { userId: r.user_id, username: r.username, kdfMigrated: r.kdf_migrated === 1 } : null
  }

  /** Records the account at its first login or registration. */
  setAccount(userId: string, username: string, now = Date.now()): void {
    this.#sightings.settle()
    this.#q.setAccount.run(userId, username, now)
  }

  /** From now on a server-chosen KDF salt is refused for this account. */
  markKdfMigrated(): void {
    this.#sightings.settle()
    this.#q.migrated.run()
  }

  // --- contacts and names ---

  contact(userId: string): Contact | null {
    const p = this.#sightings.pinOf(userId)
    if (p) return { ...p, firstSeen: p.at, lastSeen: p.seenAt, verifiedAt: null, lastMessaged: null }
    const r = this.#q.contact.get(userId)
    if (!r) return null
    const seen = this.#sightings.seenOf(userId)
    return seen ? { ...toContact(r), serverId: seen.serverId, lastSeen: seen.seenAt } : toContact(r)
  }

  /** True when some id is bound to `username` (any case): far cheaper than `byName`. */
  nameBound(username: string): boolean {
    const name = username.toLowerCase()
    return this.#sightings.pinsNamed(name).length > 0 || this.#q.bound.get(name) !== null
  }

  /** Every contact bound to `username` (lower-case), oldest binding first. */
  byName(username: string): Contact[] {
    const name = username.toLowerCase()
    const waiting = this.#sightings.pinsNamed(name).flatMap((p) => this.contact(p.userId) ?? [])
    return [...this.#q.byName.all(name).map(toContact), ...waiting]
  }

  /**
   * Pins `pubkey` for `userId` and binds `username` to it (/trust, /verify, our own key), on disk
   * when it returns; clears a previous verification. Prunes when over the bound.
   */
  pin(c: FirstSighting, now = Date.now()): void {
    this.#sightings.settle()
    this.#db.transaction(() => void this.#pin(c, now, true))()
  }

  /**
   * A first sighting: pinned as `pin` does, written with the other sightings (within a second);
   * a pin another process wrote for the id meanwhile is kept, never replaced.
   */
  sighted(c: FirstSighting, now = Date.now()): void {
    this.#sightings.pin(c, now)
  }

  /** A pinned contact seen again, at `serverId`: written with the other sightings. */
  seen(userId: string, serverId: string, now = Date.now()): void {
    this.#sightings.seen(userId, serverId, now)
  }

  /**
   * `replace`: /trust, /verify, our own key. Otherwise a first sighting, written late: false when
   * another process of this account pinned the id, or bound the name, meanwhile — its pin stands,
   * nothing is written, and the caller re-checks the key against it.
   */
  #pin(c: FirstSighting, now: number, replace: boolean): boolean {
    const name = c.username.toLowerCase()
    // One transaction: a commit by another process between this read and the write makes the
    // write fail, never overwrite.
    const held = this.#q.contact.get(c.userId) !== null
    if (!replace && (held || this.#q.bound.get(name) !== null)) return false
    this.#q.upsert.run(c.userId, name, c.serverId, c.pubkey, now)
    this.#q.bind.run(name, c.userId, now)
    if (!held) this.#contacts++
    if (this.#contacts > this.#lim.maxContacts) {
      // Never the contact just pinned: /verify of a new contact when all others are kept.
      this.#contacts -= this.#q.prune.run(this.#contacts - this.#lim.maxContacts, c.userId).changes
    }
    return true
  }

  /** Told the users whose first pin another process of this account contradicted (see `#pin`). */
  onContradicted(handler: (userIds: string[]) => void): void {
    this.#sightings.onContradicted = handler
  }

  /**
   * Marks the pin of `userId` verified (`at`) or unverified (`null`) — only if it is still
   * `pubkey`, the key the user compared. False when it is not (another process pinned another).
   */
  setVerified(userId: string, pubkey: string, at: number | null): boolean {
    this.#sightings.settle()
    return this.#q.verify.run(at, userId, pubkey).changes > 0
  }

  /** Records an exchange with a contact: it is no longer a pruning candidate. */
  messaged(userId: string, now = Date.now()): void {
    this.#sightings.settle()
    this.#q.messaged.run(now, userId)
  }

  contactCount(): number {
    return this.#contacts + this.#sightings.pins
  }

  // --- replay cache (src/store/client-replay.ts) ---

  /** True when `key` (a digest of decoded signature bytes) was recorded before; records it otherwise. */
  replayed(key: Uint8Array, now = Date.now()): boolean {
    return this.#replay.replayed(key, now)
  }

  /** Runs `fn` in one transaction: a USER_LIST of thousands of users is one commit. */
  transaction<T>(fn: () => T): T {
    this.#sightings.settle()
    return this.#db.transaction(fn)()
  }

  close(): void {
    this.#sightings.settle()
    this.#db.close()
  }
}
