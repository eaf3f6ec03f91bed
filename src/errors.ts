/** @module One error class with stable wire codes; handlers throw, the router converts once. */

/** Error codes: the spec's six (SOCP v1.3 §9.5) plus the project's own (docs/wire.md §8). */
export const ERROR_CODES = [
  'USER_NOT_FOUND',
  'INVALID_SIG',
  'BAD_KEY',
  'TIMEOUT',
  'UNKNOWN_TYPE',
  'NAME_IN_USE',
  'AUTH_FAILED',
  'RATE_LIMITED',
  'BAD_REQUEST',
  'TOO_LARGE',
  'INTERNAL',
  // The session was replaced by a newer login of the same user (docs/wire.md §8).
  'LOGGED_IN_ELSEWHERE',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** A failure that becomes an `ERROR {code, detail}` frame. `detail` must never hold secrets. */
export class ChatError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? code, options)
    this.code = code
    this.name = 'ChatError'
  }
}

/**
 * Every decryption or unwrap failure, whatever went wrong inside: padding, length, format or tag.
 * One fixed message so that failures reveal nothing (RFC 7516 §11.5 reasoning).
 */
export class DecryptFailed extends Error {
  constructor() {
    super('decryption failed')
    this.name = 'DecryptFailed'
  }
}

/** Bad command-line usage: the CLI prints the message and the usage text, then exits 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
