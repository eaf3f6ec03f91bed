/**
 * @module Presence: who is online where — our own users, remote users' locations, how fresh each
 * claim is, and users advertised without a key — and the rules that decide which presence news is
 * taken and passed on (PROTOCOL.md §4 "Presence", spec §10 routing). The only writer of those tables.
 */

import { BoundedMap } from '../bounded.ts'
import type { Store } from '../store/index.ts'
import type { Identity } from './identity.ts'
import type { Link } from './link.ts'
import type { Peers } from './peers.ts'
import { type OnlineUser, Roster } from './roster.ts'

export type { OnlineUser }

export type Route =
  | { kind: 'local'; link: Link }
  | { kind: 'remote'; serverId: string; link: Link }
  | { kind: 'unknown' }

/** Freshness stamps kept; past this the oldest user's stamp is forgotten. */
const FRESHNESS_LIMIT = 200_000

export class Presence {
  readonly #me: Identity
  readonly #store: Store
  readonly #peers: Peers
  /** user_id → the link of a user logged in here. */
  readonly #local = new Map<string, Link>()
  /** user_id → the server a remote user is online at. */
  readonly #locations = new Map<string, string>()
  /** user_id → `ts` of the newest presence frame taken for them. */
  readonly #fresh = new BoundedMap<string, number>(FRESHNESS_LIMIT)
  /** Everyone online with a directory entry, sorted, in memory (src/server/roster.ts). */
  readonly #roster = new Roster()

  constructor(me: Identity, store: Store, peers: Peers) {
    this.#me = me
    this.#store = store
    this.#peers = peers
  }

  get local(): ReadonlyMap<string, Link> {
    return this.#local
  }

  get locations(): ReadonlyMap<string, string> {
    return this.#locations
  }

  /** The online users with their names and keys: paging, lookups, presence batches. */
  get roster(): Pick<Roster, 'size' | 'get' | 'find' | 'page' | 'all'> {
    return this.#roster
  }

  // --- our own users ---

  /** Binds `userId` to `link`; a location elsewhere is superseded. */
  attach(userId: string, link: Link): void {
    this.#local.set(userId, link)
    this.#locations.delete(userId)
    this.#list(userId, this.#me.serverId)
  }

  /** Unbinds `userId` unless another link already took their place; true when it was this one. */
  detach(userId: string, link: Link): boolean {
    if (this.#local.get(userId) !== link) return false
    this.#local.delete(userId)
    this.#roster.delete(userId)
    return true
  }

  // --- other servers' users ---

  /**
   * Presence is ordered by `ts`, which no signature covers: a copy relayed by a third server could
   * carry any ts (an old USER_REMOVE dated next year would hide a user for good). So only the
   * origin's own link speaks for its users' presence: in a full mesh every origin reaches us
   * directly, and the users of a server we have no link to cannot be routed to anyway.
   */
  static fromOrigin(origin: string, peer: string | null | undefined): boolean {
    return peer === origin
  }

  /**
   * USER_ADVERTISE of `userId` at `serverId`: taken unless the user is ours or the news is older
   * than what we hold. True when taken, and so to be passed on.
   */
  arrive(userId: string, serverId: string, ts: number): boolean {
    if (this.#local.has(userId) || !this.#fresher(userId, ts)) return false
    this.#locations.set(userId, serverId)
    this.#list(userId, serverId)
    return true
  }

  /**
   * USER_REMOVE: "remove only when the stored location still equals server_id" (PROTOCOL.md §4),
   * and only if not older than what we hold. True when taken, and so to be passed on.
   */
  depart(userId: string, serverId: string, ts: number): boolean {
    if (this.#locations.get(userId) !== serverId || !this.#fresher(userId, ts)) return false
    this.#locations.delete(userId)
    this.#roster.delete(userId)
    return true
  }

  /** A server's link died: its users are offline here. Returns who went. */
  dropServer(serverId: string): string[] {
    const gone = [...this.#locations].filter(([, s]) => s === serverId).map(([u]) => u)
    for (const u of gone) {
      this.#locations.delete(u)
      this.#roster.delete(u)
    }
    return gone
  }

  /** One directory read per presence change, so no list ever needs one per user. */
  #list(userId: string, serverId: string): void {
    const e = this.#store.directory.byId(userId)
    if (e) this.#roster.set({ user_id: userId, username: e.username, server_id: serverId, pubkey: e.pubkey })
    else this.#roster.delete(userId)
  }

  #fresher(userId: string, ts: number): boolean {
    if ((this.#fresh.get(userId) ?? -1) > ts) return false
    this.#fresh.set(userId, ts)
    return true
  }

  // --- users advertised without a key (PROTOCOL.md §3.2) ---

  /**
   * A user advertised without a key (PROTOCOL.md §3.2): the first server to advertise one is
   * theirs, as a directory entry fixes a keyed user's home; recorded in the store, so neither a
   * restart nor a flood of made-up users forgets it (migrations/0006).
   */
  rememberKeyless(userId: string, username: string, serverId: string): void {
    this.#store.keyless.claim(userId, username, serverId)
  }

  /**
   * The server that speaks for `userId` when no directory entry does: the one that first
   * advertised them without a key. Another server's word on them is refused, as for a keyed user
   * (mesh/presence.ts, mesh/directory.ts).
   */
  keylessHome(userId: string): string | undefined {
    return this.#store.keyless.get(userId)?.serverId ?? this.#locations.get(userId)
  }

  /** The name and server of a keyless user online at their server, to pin their first key with. */
  keyless(userId: string): { username: string; serverId: string } | null {
    const who = this.#store.keyless.get(userId)
    return who && this.#locations.get(userId) === who.serverId ? who : null
  }

  forgetKeyless(userId: string): void {
    this.#store.keyless.forget(userId)
    this.relist(userId)
  }

  /** The directory entry of `userId` changed (learned, renamed, keyed): refresh their roster row. */
  relist(userId: string): void {
    const serverId = this.#local.has(userId) ? this.#me.serverId : this.#locations.get(userId)
    if (serverId) this.#list(userId, serverId)
  }

  // --- queries ---

  /** The one routing rule (spec §10): a local link, else the live link to their server, else unknown. */
  route(userId: string): Route {
    const local = this.#local.get(userId)
    if (local) return { kind: 'local', link: local }
    const serverId = this.#locations.get(userId)
    const link = serverId ? this.#peers.get(serverId) : undefined
    if (serverId && link) return { kind: 'remote', serverId, link }
    return { kind: 'unknown' }
  }

  /** Every user online anywhere in the mesh, sorted by username (docs/wire.md §4). O(n). */
  online(): OnlineUser[] {
    return this.#roster.all()
  }
}
