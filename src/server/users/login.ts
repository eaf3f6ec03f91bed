/**
 * @module The user-side login state machine of docs/wire.md §3, in one place: every transition is a
 * method here, and handlers only ask for one. new → challenged → authenticated → bound; a failure or
 * a spent nonce goes back to new.
 */

export type AuthStage =
  | { stage: 'new' }
  /** A USER_REGISTER is being checked (its argon2 hash may wait in the pool behind others). */
  | { stage: 'registering' }
  | { stage: 'challenged'; login: string; userId: string | null }
  | { stage: 'authenticated'; userId: string; nonce: string }
  | { stage: 'bound'; userId: string }

/** Failed attempts allowed on one connection before it is closed. */
export const MAX_FAILS_PER_LINK = 5

export class Login {
  #state: AuthStage = { stage: 'new' }
  #failures = 0

  get state(): Readonly<AuthStage> {
    return this.#state
  }

  /** The user bound to this link, or null before USER_HELLO succeeded. */
  get boundUser(): string | null {
    return this.#state.stage === 'bound' ? this.#state.userId : null
  }

  /** USER_REGISTER accepted for checking: the link has said hello, whatever the pool's queue. */
  register(): void {
    this.#state = { stage: 'registering' }
  }

  /** AUTH_HELLO answered: remember which account the response must open. */
  challenge(login: string, userId: string | null): void {
    this.#state = { stage: 'challenged', login, userId }
  }

  /** AUTH_OK sent (login or registration): USER_HELLO must sign `nonce`. */
  authenticate(userId: string, nonce: string): void {
    this.#state = { stage: 'authenticated', userId, nonce }
  }

  /** The nonce is single-use: taking it returns the link to `new`, whatever happens next. */
  takeNonce(): { userId: string; nonce: string } | null {
    const s = this.#state
    if (s.stage !== 'authenticated') return null
    this.#state = { stage: 'new' }
    return { userId: s.userId, nonce: s.nonce }
  }

  /** Back to `new` without counting a failure: a spent challenge, or a session replaced elsewhere. */
  reset(): void {
    this.#state = { stage: 'new' }
  }

  bind(userId: string): void {
    this.#state = { stage: 'bound', userId }
  }

  /** A wrong password: back to `new`; returns true once the link has failed too often. */
  fail(): boolean {
    this.#state = { stage: 'new' }
    return ++this.#failures >= MAX_FAILS_PER_LINK
  }
}

/** What `loginDeadlines` needs of a link. */
type Deadlined = {
  readonly kind: 'pending' | 'user' | 'server'
  readonly authed: boolean
  readonly user: { readonly login: Login } | null
  readonly timers: ReturnType<typeof setTimeout>[]
  close(code: number, reason: string): void
}

/**
 * A connection that never says hello, or never finishes logging in, is closed. Frames that start
 * no login (junk, errors, LIST) are no hello: they do not buy the longer allowance.
 */
export function loginDeadlines(link: Deadlined, helloTimeoutMs: number): void {
  link.timers.push(
    setTimeout(() => {
      const stage = link.user?.login.state.stage
      // A server hello is no login either: the link must have proved its key by now (PROTOCOL.md §4).
      if (link.kind === 'pending' || stage === 'new' || (link.kind === 'server' && !link.authed))
        link.close(1008, 'no hello')
    }, helloTimeoutMs),
    setTimeout(() => {
      const stage = link.user?.login.state.stage
      if (stage !== undefined && stage !== 'bound') link.close(1008, 'login took too long')
    }, helloTimeoutMs * 6),
  )
}
