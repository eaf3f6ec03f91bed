/**
 * @module Admission: which servers may become members here (docs/security.md "Joins"). A link
 * proves a key, and anyone can make a key, so proof of a key is not membership. Two regimes:
 * - a closed mesh (`--join-secret-file`): every server link proves, inside its signed
 *   SERVER_PROOF, that it knows the mesh's secret (an HMAC over the other side's fresh nonce and
 *   both ids), both ways; a stranger with a key of its own cannot link at all;
 * - an open mesh (the spec's default): a server that links to us is pinned only within a budget
 *   for the address group it came from, one key is one server, and it is listed to joiners and
 *   redialed only once it answered at the address it claimed (mesh/confirm.ts).
 * The owner of those rules and of the probes in flight; the store keeps the pins.
 */

import { createHmac, timingSafeEqual } from 'node:crypto'
import { v4 as uuidv4 } from 'uuid'
import { BoundedMap } from '../bounded.ts'
import { budgetKey } from '../net/index.ts'
import { isUuid } from '../protocol/index.ts'
import type { Store } from '../store/index.ts'
import { serverIdFor } from './keys.ts'
import { TokenBucket } from './ratelimit.ts'

const MAC_DOMAIN = 'socp-join-v1'

/**
 * How often we dial back to confirm addresses. Each probe is a connection we open where a stranger
 * said: per address group that made us pin servers, and per target address, so neither a
 * stranger cycling through fresh ids nor many strangers naming one victim turn us into a dialer
 * for hire. An honest server needs one probe per server it links to.
 */
/** A server admitted from an address stops counting against it once unseen this long. */
export const GONE_AFTER_MS = 3_600_000

export const PROBE_BUDGET = {
  perGroup: { burst: 8, perSec: 1 / 30 },
  perTarget: { burst: 3, perSec: 1 / 60 },
} as const

export type AdmissionOptions = {
  /** The mesh's shared secret; null for an open mesh. */
  joinSecret: string | null
  /** Servers one address group may make us pin in an open mesh. */
  joinsPerAddress: number
}

export class Admission {
  readonly #secret: Buffer | null
  readonly joinsPerAddress: number
  readonly #store: Store
  /** server_id → the probe of its claimed address in flight, settling when it answered or gave up. */
  readonly #probes = new Map<string, Promise<void>>()
  readonly #groupBudget = new BoundedMap<string, TokenBucket>(4_096)
  readonly #targetBudget = new BoundedMap<string, TokenBucket>(4_096)

  constructor(store: Store, o: AdmissionOptions) {
    this.#store = store
    this.#secret = o.joinSecret === null ? null : Buffer.from(o.joinSecret, 'utf8')
    this.joinsPerAddress = o.joinsPerAddress
  }

  /** True when only servers that know the join secret may link. */
  get closed(): boolean {
    return this.#secret !== null
  }

  /**
   * The `admit` field of a SERVER_PROOF: proves the secret to `verifier` for this one challenge.
   * Undefined in an open mesh (the field is then left out, as other implementations expect).
   */
  mac(nonce: string, prover: string, verifier: string): string | undefined {
    if (!this.#secret) return undefined
    return createHmac('sha256', this.#secret)
      .update(`${MAC_DOMAIN}\n${nonce}\n${prover}\n${verifier}`)
      .digest('base64url')
  }

  /** True when `admit` proves the secret for this challenge (always true in an open mesh). */
  macOk(admit: string | undefined, nonce: string, prover: string, verifier: string): boolean {
    const want = this.mac(nonce, prover, verifier)
    if (want === undefined) return true
    if (admit === undefined) return false
    const a = Buffer.from(admit)
    const b = Buffer.from(want)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  /**
   * Why a server id not pinned here may not be pinned from an incoming link at `remote` with
   * `spki`, or null when it may: one key is one server, and its id is the one the key makes (so no
   * one can link first under a joining server's id). In a closed mesh the link proved the secret
   * already; in an open mesh the address group's budget applies too.
   */
  refusal(
    serverId: string,
    spki: string,
    remote: string,
    legacy: boolean,
    linked: (serverId: string) => boolean,
  ): string | null {
    const keyWhy = this.keyHeldElsewhere(serverId, spki)
    if (keyWhy) return keyWhy
    // Another implementation chooses its id as it likes; the operator let it in as it is.
    if (!legacy && serverId !== serverIdFor(spki)) return `${serverId} is not the id its key makes`
    if (this.closed) return null
    const group = budgetKey(remote)
    // Servers that left long ago stop counting: an address's budget is what it holds now, or
    // someone who came, was confirmed and went would lock everyone at that address out for good.
    const recent = Date.now() - GONE_AFTER_MS
    const held = this.#store.servers
      .fromGroup(group)
      .filter((p) => linked(p.serverId) || (p.lastSeen ?? p.pinnedAt) > recent).length
    if (held >= this.joinsPerAddress)
      return `${this.joinsPerAddress} servers were admitted from ${group} already (--joins-per-address)`
    return null
  }

  /**
   * The id a joiner gets, decided before its link counts, so the link is that server's and no
   * other's: the id pinned to its key already; else, for a server of ours, the id its key makes;
   * for another implementation the id it asked for — unless that is ours, not a UUID, or another
   * key's, then a fresh one. Never the id it asked for just because it asked.
   */
  idForJoin(asked: string, spki: string, legacy: boolean, me: string): string {
    const byKey = this.#store.servers.byKey(spki)?.serverId
    if (byKey) return byKey
    const id = legacy ? asked : serverIdFor(spki)
    const pinned = this.#store.servers.get(id)
    const taken = !isUuid(id) || id === me || (pinned !== null && pinned.pubkey !== spki)
    return taken ? uuidv4() : id
  }

  /** Why `spki` may not be pinned to `serverId`: one key is one server. Null when it may. */
  keyHeldElsewhere(serverId: string, spki: string): string | null {
    const holder = this.#store.servers.byKey(spki)
    return holder && holder.serverId !== serverId ? `its key is pinned to server ${holder.serverId}` : null
  }

  /** The address group an incoming link is counted under. */
  group(remote: string): string {
    return budgetKey(remote)
  }

  /** Runs `probe` for `serverId` unless one is in flight; the promise settles when it is done. */
  probe(serverId: string, probe: () => Promise<void>): Promise<void> {
    const running = this.#probes.get(serverId)
    if (running) return running
    const p = probe().finally(() => this.#probes.delete(serverId))
    this.#probes.set(serverId, p)
    return p
  }

  /**
   * Milliseconds until one more probe for a server admitted from `group` may dial `target` (0:
   * now, and the probe is counted).
   */
  probeWait(group: string, target: string): number {
    const g = bucket(this.#groupBudget, group, PROBE_BUDGET.perGroup)
    const t = bucket(this.#targetBudget, target, PROBE_BUDGET.perTarget)
    const wait = Math.max(g.need(), t.need())
    if (wait === 0) {
      g.take()
      t.take()
    }
    return wait
  }

  /**
   * Waits (at most `ms`) for the probes in flight: a WELCOME lists confirmed servers only, and a
   * server that joined a moment ago is usually being confirmed while the next one joins.
   */
  async probesSettled(ms: number): Promise<void> {
    if (this.#probes.size === 0) return
    await Promise.race([Promise.allSettled([...this.#probes.values()]), Bun.sleep(ms)])
  }
}

function bucket(
  map: BoundedMap<string, TokenBucket>,
  key: string,
  o: { burst: number; perSec: number },
): TokenBucket {
  let b = map.get(key)
  if (!b) {
    b = new TokenBucket(o.perSec, o.burst)
    map.set(key, b)
  }
  return b
}
