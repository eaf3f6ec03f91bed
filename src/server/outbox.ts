/**
 * @module The Outbox: every frame this server originates is built, signed and serialised here, typed
 * by frame type from the protocol schemas (STYLE.md §15). It owns the signature memo.
 */

import { createHash } from 'node:crypto'
import { BoundedMap } from '../bounded.ts'
import { canonicalJson, signCanonical } from '../crypto/index.ts'
import type { ErrorCode } from '../errors.ts'
import { encode, type ServerFrameType, type ServerPayloadOf } from '../protocol/index.ts'
import type { DirectoryEntry } from '../store/index.ts'
import { FairQueue } from './fair.ts'
import type { Identity } from './identity.ts'

/** Anything a frame can be written to: a Link, or a test's in-memory end. */
export type Sendable = { send(text: string): void }

export type SendOptions = {
  /** The envelope `ts`; default now. Forwarded user frames keep the user's own (PROTOCOL.md §3.2). */
  ts?: number
  /** The envelope `from`; default this server. Forwarded user frames keep the sender. */
  from?: string
  /** Whose turn pays for the signature (src/server/fair.ts): a user id or a server id; default us. */
  owner?: string
}

/** Signatures remembered, by sha256(canonical(payload)). */
const SIG_MEMO_SIZE = 512
/**
 * Signatures in flight at once: one per core (WebCrypto signs on its own threads, PROTOCOL.md §3).
 * More would only queue inside WebCrypto, where the round robin cannot reach them.
 */
const SIGN_CONCURRENCY = 2

export class Outbox {
  readonly #me: Identity
  readonly #memo = new BoundedMap<string, Promise<string>>(SIG_MEMO_SIZE)
  /** RSA signing, round robin between the owners it is done for (src/server/fair.ts). */
  readonly fair = new FairQueue(SIGN_CONCURRENCY)
  /** Signed DIRECTORY_ENTRY texts of our own users, so a resync re-sends instead of re-signing. */
  readonly #directory = new Map<string, string>()

  /** `me` is read at each send: an introducer may assign a new id after the Outbox exists. */
  constructor(me: Identity) {
    this.#me = me
  }

  /**
   * A server-originated frame as text, signed over canonical(payload). "Server-originated frames
   * are always signed, to servers and to users alike" (PROTOCOL.md §3.1).
   * @example
   * const text = await outbox.frame('USER_REMOVE', '*', { user_id, server_id })
   */
  async frame<K extends ServerFrameType>(
    type: K,
    to: string,
    payload: ServerPayloadOf<K>,
    opts: SendOptions = {},
  ): Promise<string> {
    const sig = await this.sig(payload, opts.owner)
    return encode({ type, from: opts.from ?? this.#me.serverId, to, ts: opts.ts ?? Date.now(), payload, sig })
  }

  /**
   * An unsigned frame (`sig: ""`): only SERVER_CHALLENGE, which a stranger's hello provokes and
   * which therefore must not cost an RSA signature (docs/wire.md §10).
   */
  unsigned<K extends 'SERVER_CHALLENGE'>(type: K, to: string, payload: ServerPayloadOf<K>): string {
    return encode({ type, from: this.#me.serverId, to, ts: Date.now(), payload, sig: '' })
  }

  /** Builds a frame (as `frame`) and writes it to `link`. */
  async send<K extends ServerFrameType>(
    link: Sendable,
    type: K,
    to: string,
    payload: ServerPayloadOf<K>,
    opts: SendOptions = {},
  ): Promise<void> {
    link.send(await this.frame(type, to, payload, opts))
  }

  /** The DIRECTORY_ENTRY of one of our own users, signed once (docs/wire.md §5). */
  async directoryEntry(e: DirectoryEntry): Promise<{ text: string; fresh: boolean }> {
    const cached = this.#directory.get(e.userId)
    if (cached) return { text: cached, fresh: false }
    const payload = {
      user_id: e.userId,
      username: e.username,
      pubkey: e.pubkey,
      server_id: e.serverId,
      created: e.created,
    }
    const text = await this.frame('DIRECTORY_ENTRY', '*', payload)
    this.#directory.set(e.userId, text)
    return { text, fresh: true }
  }

  /**
   * Sends `ERROR {code, detail}`. Callers never call this in reply to an ERROR or a HEARTBEAT
   * (PROTOCOL.md §4): the routers enforce that.
   */
  error(link: Sendable, code: ErrorCode, detail: string, to = ''): Promise<void> {
    return this.send(link, 'ERROR', to, { code, detail })
  }

  /**
   * `sig` covers only the payload (PROTOCOL.md §3.1), so a payload signed once — an ERROR, a
   * USER_LIST, a presence frame, every HEARTBEAT — needs no second RSA signature (≈ 3 ms each).
   * Without this, every junk frame a peer sends would cost us one.
   */
  sig(payload: object, owner = 'server'): Promise<string> {
    // One canonical text serves the memo key and, on a miss, the signature.
    const canonical = canonicalJson(payload)
    const key = createHash('sha256').update(canonical).digest('base64url')
    const hit = this.#memo.get(key)
    if (hit) return hit
    const sig = this.fair.run(owner, () => signCanonical(this.#me.key, canonical))
    this.#memo.set(key, sig)
    sig.catch(() => this.#memo.delete(key))
    return sig
  }
}
