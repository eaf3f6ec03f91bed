/**
 * @module LoginGuard: the owner of everything that makes password guessing and login floods
 * expensive for the attacker and cheap for us (docs/security.md "Accounts"). Order of a check:
 * the source address's failure budget (refusal costs nothing), the account's gate (one check at a
 * time, growing delay), then the bounded fair pool that runs argon2id off the JS thread.
 */

import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { b64uEncode, hashVerifier } from '../../crypto/index.ts'
import { ChatError } from '../../errors.ts'
import type { Logger } from '../../log.ts'
import { budgetKey } from '../../net/index.ts'
import { AddressBudget } from './_budget.ts'
import { AccountGate, type GateOptions } from './_gate.ts'
import { VerifierPool } from './_pool.ts'

export type GuardOptions = GateOptions & {
  /** argon2id checks running at once; default half the cores, at least one. */
  poolSize: number
  poolQueue: number
  poolQueuePerAddress: number
  /** Failed logins an address may make at once, and how fast that allowance comes back. */
  addressBurst: number
  addressPerSec: number
  /**
   * Challenges (AUTH_HELLO) an address may ask for at once, and how fast they come back; a login
   * that succeeds gives its challenge back. Each challenge costs us an RSA signature (≈ 3 ms), so
   * a flood of fresh names would otherwise be a CPU flood without any argon2.
   */
  challengeBurst: number
  challengePerSec: number
  /**
   * Accounts an address may create at once, and how fast that allowance comes back. Accounts are
   * permanent and replicated to every server, and each one counts against what the other servers
   * hold for this home server: without a budget, one address made 14 a second.
   */
  registerBurst: number
  registerPerSec: number
}

export const DEFAULT_GUARD: GuardOptions = {
  freeFailures: 3,
  baseMs: 1_000,
  maxMs: 8_000,
  forgetMs: 15 * 60_000,
  maxWaiters: 4,
  maxKeys: 50_000,
  poolSize: Math.max(1, Math.floor(availableParallelism() / 2)),
  poolQueue: 256,
  poolQueuePerAddress: 32,
  addressBurst: 30,
  addressPerSec: 0.5,
  challengeBurst: 40,
  challengePerSec: 2,
  registerBurst: 20,
  registerPerSec: 1 / 60,
}

/** Why a login failed, for the rate-limited log; never a password, key or typed login name. */
type Cause =
  | 'wrong password'
  | 'unknown login'
  | 'address over budget'
  | 'too many challenges'
  | 'too many registrations'
  | 'account busy'
  | 'pool full'

const LOG_EVERY_MS = 10_000

export class LoginGuard {
  readonly pool: VerifierPool
  readonly gate: AccountGate
  readonly budget: AddressBudget
  readonly challenges: AddressBudget
  readonly registrations: AddressBudget
  private readonly log: Logger
  private readonly logged = new Map<Cause, { at: number; suppressed: number }>()

  #dummy: Promise<string> | null = null

  /** A verifier for a random key: unknown logins are checked against it so both paths cost the same. */
  dummy(): Promise<string> {
    this.#dummy ??= hashVerifier(b64uEncode(randomBytes(32)))
    return this.#dummy
  }

  constructor(log: Logger, opts: Partial<GuardOptions> = {}) {
    const o = { ...DEFAULT_GUARD, ...opts }
    this.log = log
    this.gate = new AccountGate(o)
    this.budget = new AddressBudget({ burst: o.addressBurst, perSec: o.addressPerSec })
    this.challenges = new AddressBudget({ burst: o.challengeBurst, perSec: o.challengePerSec })
    this.registrations = new AddressBudget({ burst: o.registerBurst, perSec: o.registerPerSec })
    this.pool = new VerifierPool({
      size: o.poolSize,
      maxQueued: o.poolQueue,
      maxQueuedPerSource: o.poolQueuePerAddress,
    })
  }

  /**
   * Runs one password check for `account` (a user id, or the typed login for an unknown user, so
   * both take the same path) from `address`. `alive` is asked once the check's turn comes: a
   * connection that left meanwhile costs no argon2 work.
   * @throws ChatError('RATE_LIMITED') when the address, the account or the pool refuses.
   */
  async check(
    a: { account: string; address: string; known: boolean; alive: () => boolean; who: string },
    verify: () => Promise<boolean>,
  ): Promise<boolean> {
    a = { ...a, address: budgetKey(a.address) }
    const wait = this.budget.take(a.address)
    if (wait > 0) {
      this.note('address over budget', a.address, '')
      throw new ChatError('RATE_LIMITED', `too many failed logins from your address; try again in ${wait} s`)
    }
    let release: Awaited<ReturnType<AccountGate['enter']>>
    try {
      release = await this.gate.enter(a.account, a.address)
    } catch (e) {
      this.budget.refund(a.address)
      this.note('account busy', a.address, a.who)
      throw e
    }
    let ok = false
    try {
      if (!a.alive()) {
        release('skip')
        this.budget.refund(a.address)
        return false
      }
      ok = await this.pool.run(a.address, verify)
    } catch (e) {
      release('skip')
      this.budget.refund(a.address)
      if (e instanceof ChatError) this.note('pool full', a.address, a.who)
      throw e
    }
    release(ok ? 'ok' : 'fail')
    if (ok) {
      // A login that worked costs its address nothing: many honest users may share one (NAT).
      this.budget.refund(a.address)
      this.challenges.refund(a.address)
    } else this.note(a.known ? 'wrong password' : 'unknown login', a.address, a.who)
    return ok
  }

  /**
   * Takes one challenge from `address`'s allowance, before AUTH_CHALLENGE is signed.
   * @throws ChatError('RATE_LIMITED') when the address asked for too many.
   */
  challenge(remote: string): void {
    const address = budgetKey(remote)
    const wait = this.challenges.take(address)
    if (wait === 0) return
    this.note('too many challenges', address, '')
    throw new ChatError('RATE_LIMITED', `too many logins from your address; try again in ${wait} s`)
  }

  /**
   * Takes one registration from `address`'s allowance, before any argon2 work.
   * @throws ChatError('RATE_LIMITED') when the address created too many accounts.
   */
  register(remote: string): void {
    const address = budgetKey(remote)
    const wait = this.registrations.take(address)
    if (wait === 0) return
    this.note('too many registrations', address, '')
    throw new ChatError('RATE_LIMITED', `too many new accounts from your address; try again in ${wait} s`)
  }

  /** Gives a registration back when it was refused for another reason (a taken name, say). */
  unregister(remote: string): void {
    this.registrations.refund(budgetKey(remote))
  }

  /** Runs a new account's argon2id hash in the pool, so registrations queue like logins. */
  hash<T>(remote: string, work: () => Promise<T>): Promise<T> {
    return this.pool.run(budgetKey(remote), work)
  }

  /** One warning per cause every LOG_EVERY_MS, with the count of those not logged in between. */
  private note(cause: Cause, address: string, who: string): void {
    const now = Date.now()
    const l = this.logged.get(cause)
    if (l && now - l.at < LOG_EVERY_MS) {
      l.suppressed++
      return
    }
    const more = l && l.suppressed > 0 ? ` (${l.suppressed} more since the last report)` : ''
    this.logged.set(cause, { at: now, suppressed: 0 })
    this.log.warn(`failed login: ${cause} from ${address}${who ? ` for ${who}` : ''}${more}`)
  }
}
