/**
 * @module The password policy for new accounts, the same in every mode (terminal prompt, script,
 * SOCP_PASSWORD): a minimum length and a strength estimate by zxcvbn-ts with its common-password
 * dictionary. The key blob is only as strong as the password: anyone who gets the blob (the
 * server's operator, a stolen database) can guess offline at their own pace.
 */

import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as common from '@zxcvbn-ts/language-common'

export const MIN_PASSWORD_LENGTH = 10
/** zxcvbn score 3: about 10^8 guesses or more ("safely unguessable" online, some offline cost). */
export const MIN_SCORE = 3

let estimator: ZxcvbnFactory | null = null

// zxcvbn-ts reports warnings as keys; without a language pack these are our own words for them.
const WARNINGS: Record<string, string> = {
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats characters ("aaa")',
  extendedRepeat: 'it repeats a pattern ("abcabc")',
  sequences: 'it is a sequence ("abcd", "1234")',
  recentYears: 'it contains a recent year',
  dates: 'it contains a date',
  topTen: 'it is one of the ten most common passwords',
  topHundred: 'it is one of the hundred most common passwords',
  common: 'it is a very common password',
  similarToCommon: 'it is close to a common password',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'a name on its own is easy to guess',
  commonNames: 'it is a common name',
  userInputs: 'it contains your username',
  pwned: 'it appeared in a data breach',
}

/**
 * Why `password` is refused for a new account, or `null` when it is acceptable.
 * @example
 * passwordProblem('sunshine7', 'alice') // 'too weak: it is close to a common password; …'
 */
export function passwordProblem(password: string, username?: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    return `too short: use at least ${MIN_PASSWORD_LENGTH} characters (a few random words work well)`
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs })
  const r = estimator.check(password, username ? [username] : [])
  if (r.score >= MIN_SCORE) return null
  const why = r.feedback.warning
    ? (WARNINGS[r.feedback.warning] ?? 'it is easy to guess')
    : 'it is easy to guess'
  return `too weak: ${why}; add more words or characters nobody would guess`
}
