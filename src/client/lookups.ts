/**
 * @module Finding people: the online list (LIST → USER_LIST, paged), a user online now (LOOKUP →
 * USER_INFO, which also subscribes this session to their comings and goings, docs/wire.md §14),
 * a directory entry online or not (USER_LOOKUP → USER_ENTRY, §12), and on top of them the key to
 * encrypt to and the key a sender must have signed with — each checked against the client's pins
 * by Contacts.
 */

import { ChatError } from '../errors.ts'
import type { ClientPayloadOf, ServerToClientFrame } from '../protocol/index.ts'
import type { Identity } from './auth.ts'
import type { Contacts, OnlineUser } from './contacts.ts'
import { type ClientLink, is } from './link.ts'
import { lookupUser } from './resume.ts'

/** What the lookups need of the session they serve. */
export type LookupDeps = {
  link(): ClientLink
  loggedIn(): { id: Identity; contacts: Contacts }
  now(): number
  send<K extends 'LOOKUP' | 'LIST'>(
    type: K,
    to: string,
    ts: number,
    payload: ClientPayloadOf<K>,
  ): Promise<unknown>
}

export class Lookups {
  readonly #d: LookupDeps
  #listing: Promise<OnlineUser[]> | null = null

  constructor(deps: LookupDeps) {
    this.#d = deps
  }

  /** A user online now, by name or id (LOOKUP → USER_INFO). @throws ChatError('USER_NOT_FOUND') */
  async online(userOrName: string): Promise<OnlineUser> {
    const { id, contacts } = this.#d.loggedIn()
    const answer = this.#d.link().expect(is('USER_INFO'), { timeoutMs: 10_000 })
    await this.#d.send('LOOKUP', id.serverId, this.#d.now(), { user: userOrName })
    const u = (await answer).payload
    const user = { userId: u.user_id, username: u.username, serverId: u.server_id, pubkey: u.pubkey }
    contacts.learn(user, false)
    return user
  }

  /** Online users across the mesh, sorted by username; one request at a time. */
  list(): Promise<OnlineUser[]> {
    this.#listing ??= this.#list().finally(() => {
      this.#listing = null
    })
    return this.#listing
  }

  /**
   * The recipient entry: known, else looked up — online first, else in the server's directory (an
   * offline user's home server keeps what we send, docs/wire.md §12, §13).
   */
  async recipient(userOrName: string) {
    const { contacts } = this.#d.loggedIn()
    const known = () => contacts.directory.resolve(userOrName) || contacts.known.resolve(userOrName)
    if (!known()) await this.quietly(userOrName)
    if (!known()) await this.#entry(userOrName)
    return contacts.recipient(userOrName)
  }

  /** A sender's key: online or not, from the directory entry (looked up when unknown) and the pin. */
  async senderKey(userId: string, senderPub: string) {
    const { contacts } = this.#d.loggedIn()
    if (!contacts.directory.get(userId) && !contacts.known.get(userId)) {
      await this.quietly(userId)
      if (!contacts.directory.get(userId)) await this.#entry(userId).catch(() => {})
    }
    return contacts.senderKey(userId, senderPub)
  }

  /** An online lookup whose failure the caller reports in its own words (USER_NOT_FOUND, no key). */
  async quietly(userOrName: string): Promise<void> {
    await this.online(userOrName).catch((e) => {
      if (!(e instanceof ChatError)) throw e
    })
  }

  /** Looks a user up online unless the directory knows the name already. */
  async known(userOrName: string): Promise<void> {
    if (!this.#d.loggedIn().contacts.directory.resolve(userOrName)) await this.quietly(userOrName)
  }

  /** Every page of the online list (docs/wire.md §4), then applied as the whole truth. */
  async #list(): Promise<OnlineUser[]> {
    const { id } = this.#d.loggedIn()
    const users: Extract<ServerToClientFrame, { type: 'USER_LIST' }>['payload']['users'] = []
    let after: string | undefined
    do {
      const answer = this.#d.link().expect(is('USER_LIST'), { errors: false, timeoutMs: 10_000 })
      await this.#d.send('LIST', id.serverId, this.#d.now(), after === undefined ? {} : { after })
      const page = (await answer).payload
      users.push(...page.users)
      after = page.next
    } while (after !== undefined)
    return this.#d.loggedIn().contacts.applyList(users)
  }

  /** USER_LOOKUP → USER_ENTRY (docs/wire.md §12): a directory entry, the user online or not. */
  async #entry(user: string): Promise<void> {
    const { id, contacts } = this.#d.loggedIn()
    const entry = await lookupUser(this.#d.link(), id, user, this.#d.now())
    contacts.lookedUp(entry)
  }
}
