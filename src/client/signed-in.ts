/**
 * @module What a session holds while an account is logged in: its identity, store, contacts,
 * inbox and sealed history, wired together once at login and undone at logout.
 */

import { ChatError } from '../errors.ts'
import { asUuid } from '../protocol/index.ts'
import type { ClientStore } from '../store/index.ts'
import type { FileLimits } from './_files.ts'
import type { Identity } from './auth.ts'
import { Contacts } from './contacts.ts'
import type { Emitter } from './events.ts'
import type { AcceptFiles } from './files-in.ts'
import { History } from './history.ts'
import { createInbox, type InboxContext } from './inbox.ts'
import type { Lookups } from './lookups.ts'

export type SignedIn = {
  id: Identity
  inbox: InboxContext
  contacts: Contacts
  store: ClientStore
  history: History
  /** Undoes the subscriptions made at login (for /logout). */
  off: () => void
}

export type SignInDeps = {
  events: Emitter
  lookups: Lookups
  downloadsDir: string
  fileLimits: Partial<FileLimits> | undefined
  acceptFiles: AcceptFiles
  /** Tells the server the kept frames up to `upto` were taken (docs/wire.md §13). */
  confirmKept: (upto: number) => void
  /** Someone wrote to us: plain text now goes to them. */
  heardFrom: (userId: string) => void
}

/** Wires one logged-in account: its own pin, contacts, inbox and history. */
export function signedIn(id: Identity, store: ClientStore, deps: SignInDeps): SignedIn {
  const contacts = new Contacts(store, deps.events, id.userId)
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
    events: deps.events,
    contacts,
    store,
    senderKey: (user, pub) => deps.lookups.senderKey(user, pub),
    downloadsDir: deps.downloadsDir,
    limits: deps.fileLimits,
    acceptFiles: deps.acceptFiles,
    confirmKept: deps.confirmKept,
  })
  const history = new History(store.history, id.historyKey)
  const off = deps.events.on('dm', (e) => {
    deps.heardFrom(e.from)
    history.record({ dir: 'in', peer: e.from, peerName: e.fromName, text: e.text, ts: e.ts })
  })
  return { id, inbox, contacts, store, history, off }
}

/**
 * The user a conversation is with, by id or name: online, known, or only in our pins (a history
 * outlives a rename). @throws ChatError('USER_NOT_FOUND')
 */
export function conversationPeer(a: SignedIn, userOrName: string): string {
  const peer =
    asUuid(userOrName) ??
    a.contacts.directory.resolve(userOrName)?.userId ??
    a.contacts.known.resolve(userOrName)?.userId ??
    a.store.byName(userOrName.toLowerCase())[0]?.userId
  if (!peer) throw new ChatError('USER_NOT_FOUND', `no conversation with ${userOrName}`)
  return peer
}
