/**
 * @module The per-account login gate: one password check at a time per account (a lock, not a
 * sleep, so parallel connections cannot multiply the guess rate), each started no sooner than a
 * delay that grows with the account's recent failures. Waiting attempts queue fairly, at most one
 * per source address and `maxWaiters` in all: the account's owner, connecting from another address,
 * once queued waits at most `(waiters ahead + 2) × maxMs` (3 × maxMs against one guessing address);
 * with the queue full the owner is told to retry. The trade-off, chosen on purpose: the account's
 * guess rate stays bounded however many addresses guess, rather than each address adding guesses.
 */

import { ChatError } from '../../errors.ts'

export type GateOptions = {
  /** Failures answered without delay (typos). */
  freeFailures: number
  /** The first delay after the free failures; it doubles with each further failure, up to `maxMs`. */
  baseMs: number
  maxMs: number
  /** Failures are forgotten after this long without one. */
  forgetMs: number
  /** Attempts that may wait for one account; beyond, refused at once. */
  maxWaiters: number
  /** Accounts remembered; the least recently used idle one is forgotten beyond. */
  maxKeys: number
}

type Waiter = { address: string; wake: () => void }
type State = { fails: number; lastFail: number; busy: boolean; waiters: Waiter[] }

/** What a finished attempt was: a guess that failed, a login that worked, or no check at all. */
export type Outcome = 'ok' | 'fail' | 'skip'

export class AccountGate {
  private readonly accounts = new Map<string, State>()
  readonly o: GateOptions

  constructor(o: GateOptions) {
    this.o = o
  }

  /** The delay before the next check of an account with `fails` recent failures. */
  delayFor(fails: number): number {
    const over = fails - this.o.freeFailures
    return over <= 0 ? 0 : Math.min(this.o.maxMs, this.o.baseMs * 2 ** (over - 1))
  }

  /**
   * Waits for `key`'s lock and its throttle delay, then returns the release to call with the outcome.
   * @throws ChatError('RATE_LIMITED') when an attempt from `address` already waits, or too many do.
   */
  async enter(key: string, address: string): Promise<(outcome: Outcome) => void> {
    const st = this.state(key)
    if (st.busy) {
      if (st.waiters.some((w) => w.address === address))
        throw new ChatError('RATE_LIMITED', 'a login for this account from your address is still running')
      if (st.waiters.length >= this.o.maxWaiters) {
        const s = Math.ceil((this.delayFor(st.fails) * (st.waiters.length + 1)) / 1000)
        throw new ChatError('RATE_LIMITED', `too many logins for this account right now; try again in ${s} s`)
      }
      // The releasing attempt hands the lock over directly: `busy` stays set for us.
      await new Promise<void>((wake) => st.waiters.push({ address, wake }))
    }
    st.busy = true
    const wait = st.lastFail + this.delayFor(st.fails) - Date.now()
    if (wait > 0) await Bun.sleep(wait)
    let done = false
    return (outcome) => {
      if (done) return
      done = true
      if (outcome === 'ok') st.fails = 0
      else if (outcome === 'fail') {
        st.fails++
        st.lastFail = Date.now()
      }
      const next = st.waiters.shift()
      if (next) return next.wake()
      st.busy = false
      if (st.fails === 0) this.accounts.delete(key)
    }
  }

  /** Recent failures of `key` (for tests and the log). */
  failures(key: string): number {
    return this.accounts.get(key)?.fails ?? 0
  }

  private state(key: string): State {
    const now = Date.now()
    let st = this.accounts.get(key)
    if (st && !st.busy && now - st.lastFail > this.o.forgetMs) st = undefined
    st ??= { fails: 0, lastFail: 0, busy: false, waiters: [] }
    this.accounts.delete(key)
    this.accounts.set(key, st)
    if (this.accounts.size > this.o.maxKeys) {
      for (const [k, s] of this.accounts) {
        if (!s.busy) {
          this.accounts.delete(k)
          break
        }
      }
    }
    return st
  }
}
