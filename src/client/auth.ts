/**
 * @module Register and login from the client's side (docs/wire.md §1–§3). The password never
 * leaves this process: scrypt + HKDF make the blob key and the auth key here, only the auth key
 * goes to the server, and the private-key blob is opened locally. The client owns the KDF: the
 * salt is derived from the username, the cost stays between the client's floor and cap, and the
 * server's clock is believed only within minutes (PROTOCOL.md §6).
 */

import { randomUUID } from 'node:crypto'
import {
  deriveKeys,
  generateKeyPair,
  importPrivateKey,
  judgeKdf,
  type KeyPair,
  newKdfParams,
  openPrivateKey,
  type PrivateKey,
  sealPrivateKey,
  signPayload,
} from '../crypto/index.ts'
import { ChatError, DecryptFailed } from '../errors.ts'
import type { ServerToClientFrame } from '../protocol/index.ts'
import { type ClientLink, is } from './link.ts'

/** Who we are once the link is bound: everything later frames need. */
export type Identity = {
  userId: string
  username: string
  serverId: string
  key: PrivateKey
  /** server clock − local clock, ms: added to every `ts` we send (PROTOCOL.md §5: ±5 minutes). */
  skew: number
  /**
   * The password-derived auth key, kept in memory (as the private key is) so a lost connection
   * is resumed without asking for the password again (`resume`). Never written anywhere.
   */
  authKey: string
  /** Seals the message history in the client store (src/client/history.ts); from the password. */
  historyKey: Uint8Array
  /** Whose presence this session asked for; a resumed login asks the same. */
  presence: PresenceMode
}

const CLIENT_NAME = 'socp-ts/0.1'

/** Whose presence the server pushes: everyone's, or only users this client looked up (docs/wire.md §14). */
export type PresenceMode = 'all' | 'contacts'

/** The most the server clock may differ from ours (PROTOCOL.md §5 and §6: minutes, not days). */
export const MAX_SKEW_MS = 5 * 60_000

/** The server's clock offset, refused beyond {@link MAX_SKEW_MS} (a server must not date our messages). */
export function checkedSkew(serverTs: number, now = Date.now()): number {
  const skew = serverTs - now
  if (!Number.isSafeInteger(serverTs) || Math.abs(skew) > MAX_SKEW_MS) {
    const minutes = Number.isSafeInteger(serverTs)
      ? `${Math.round(skew / 60_000)} minutes`
      : 'an absurd amount'
    throw new ChatError(
      'BAD_REQUEST',
      `the server clock is off ours by ${minutes} (at most ${MAX_SKEW_MS / 60_000} allowed); check both clocks`,
    )
  }
  return skew
}

/** What login needs to know besides the password: whose KDF salt to derive, and whether a legacy salt may pass. */
export type LoginAccount = {
  /** The account's username (typed, or remembered by the client store for a UUID login). */
  username: string
  /** The user id, when logging in by id: AUTH_OK must confirm it. */
  userId?: string
  /** False once the client store knows the account migrated (or with --strict-kdf). */
  allowLegacy: boolean
}

/** A logged-in identity, plus the opened key when the account still has legacy KDF parameters. */
export type LoginResult = { id: Identity; legacy: Uint8Array | null }

type Frame<T extends ServerToClientFrame['type']> = Extract<ServerToClientFrame, { type: T }>

/**
 * USER_REGISTER (docs/wire.md §2), signed by the new key as proof of possession, then USER_HELLO.
 * `keyPair` lets tests reuse pre-generated keys; otherwise one is generated (≈ 0.6 s).
 * @throws ChatError with the server's code (NAME_IN_USE, BAD_REQUEST, BAD_KEY, …).
 */
export async function register(
  link: ClientLink,
  username: string,
  password: string,
  keyPair?: KeyPair,
  presence: PresenceMode = 'all',
): Promise<Identity> {
  const kp = keyPair ?? (await generateKeyPair())
  const kdf = newKdfParams(username)
  const { blobKey, authKey, historyKey } = await deriveKeys(password, kdf)
  const userId = randomUUID()
  const payload = {
    username,
    pubkey: kp.publicKey.spki,
    privkey_store: sealPrivateKey(kp.pkcs8, blobKey, kdf),
    kdf,
    auth_key: authKey,
  }
  const sig = await signPayload(kp.privateKey, payload)
  const ok = is('AUTH_OK')
  const answer = link.expect(ok)
  link.send({ type: 'USER_REGISTER', from: userId, to: '', ts: Date.now(), payload, sig })
  const f = await answer
  if (f.payload.user_id !== userId || f.payload.pubkey !== kp.publicKey.spki) {
    throw new ChatError('BAD_REQUEST', 'the server confirmed a different account')
  }
  return hello(link, f, kp.privateKey, checkedSkew(f.payload.server_ts), { authKey, historyKey }, presence)
}

/**
 * AUTH_HELLO → AUTH_CHALLENGE (judged by the client's KDF rules before any password work) →
 * AUTH_RESPONSE → AUTH_OK (the account and the clock checked), open the key blob locally, USER_HELLO.
 * @throws ChatError('AUTH_FAILED') for an unknown user or a wrong password (they look the same), or
 * a challenge outside the client's KDF bounds; BAD_REQUEST for a server clock beyond the skew bound.
 */
export async function login(
  link: ClientLink,
  loginName: string,
  password: string,
  account: LoginAccount,
  presence: PresenceMode = 'all',
): Promise<LoginResult> {
  const challenge = link.expect(is('AUTH_CHALLENGE'))
  link.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: loginName } })
  const { payload } = await challenge
  const verdict = judgeKdf(payload.kdf, account.username, account.allowLegacy)
  const keys = await deriveKeys(password, payload.kdf)
  // The server may hold the check behind an account's throttle (up to 3 × 8 s against one guessing
  // address, src/server/users/_gate.ts); it ends an unfinished login after 60 s.
  const answer = link.expect(is('AUTH_OK'), { timeoutMs: 45_000 })
  link.send({ type: 'AUTH_RESPONSE', from: '', to: '', ts: Date.now(), payload: { auth_key: keys.authKey } })
  const ok = await answer
  const confirmed = ok.payload.username === account.username.toLowerCase()
  if (!confirmed || (account.userId !== undefined && ok.payload.user_id !== account.userId.toLowerCase())) {
    throw new ChatError('BAD_KEY', 'the server confirmed a different account than the one asked for')
  }
  const skew = checkedSkew(ok.payload.server_ts)
  let key: PrivateKey
  let pkcs8: Uint8Array
  try {
    pkcs8 = openPrivateKey(ok.payload.privkey_store, keys.blobKey)
    key = await importPrivateKey(pkcs8)
  } catch (e) {
    if (e instanceof DecryptFailed || e instanceof ChatError) {
      throw new ChatError('AUTH_FAILED', 'the stored private key does not open with this password')
    }
    throw e
  }
  if (key.publicKey.spki !== ok.payload.pubkey) {
    throw new ChatError('BAD_KEY', 'the stored private key does not match the account key')
  }
  const id = await hello(link, ok, key, skew, keys, presence)
  return { id, legacy: verdict === 'legacy' ? pkcs8 : null }
}

/**
 * USER_REKEY (docs/wire.md §3a): re-seals the key under the client-owned KDF parameters and gives
 * the server the new auth key, at the first login of an account made before them.
 */
export async function rekey(
  link: ClientLink,
  id: Identity,
  password: string,
  pkcs8: Uint8Array,
): Promise<{ authKey: string; historyKey: Uint8Array }> {
  const kdf = newKdfParams(id.username)
  const { blobKey, authKey, historyKey } = await deriveKeys(password, kdf)
  const payload = { privkey_store: sealPrivateKey(pkcs8, blobKey, kdf), kdf, auth_key: authKey }
  const sig = await signPayload(id.key, payload)
  const ack = link.expect((f): f is Frame<'ACK'> => f.type === 'ACK' && f.payload.msg_ref === 'USER_REKEY')
  link.send({ type: 'USER_REKEY', from: id.userId, to: id.serverId, ts: Date.now() + id.skew, payload, sig })
  await ack
  return { authKey, historyKey }
}

/**
 * Logs in again on a new link as the identity we hold (after a lost connection): the kept auth
 * key answers the challenge and the kept private key signs USER_HELLO — no password, no KDF.
 * @throws ChatError('AUTH_FAILED') if the account's password changed meanwhile; BAD_KEY if the
 * server answers for another account or key.
 */
export async function resume(link: ClientLink, id: Identity): Promise<Identity> {
  const challenge = link.expect(is('AUTH_CHALLENGE'))
  link.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: id.username } })
  await challenge
  const answer = link.expect(is('AUTH_OK'))
  link.send({ type: 'AUTH_RESPONSE', from: '', to: '', ts: Date.now(), payload: { auth_key: id.authKey } })
  const ok = await answer
  if (ok.payload.user_id !== id.userId || ok.payload.pubkey !== id.key.publicKey.spki) {
    throw new ChatError('BAD_KEY', 'the server resumed a different account or key')
  }
  return hello(link, ok, id.key, checkedSkew(ok.payload.server_ts), id, id.presence)
}

/** USER_HELLO with the nonce from AUTH_OK, signed by the user key; the server ACKs it. */
async function hello(
  link: ClientLink,
  ok: Frame<'AUTH_OK'>,
  key: PrivateKey,
  skew: number,
  keys: { authKey: string; historyKey: Uint8Array },
  presence: PresenceMode,
): Promise<Identity> {
  const spki = key.publicKey.spki
  // `presence` is sent only when it differs from the default, so the signed payload stays the
  // one every earlier server expects.
  const payload = {
    client: CLIENT_NAME,
    pubkey: spki,
    enc_pubkey: spki,
    nonce: ok.payload.nonce,
    ...(presence === 'contacts' && { presence }),
  }
  const sig = await signPayload(key, payload)
  const ack = link.expect((f): f is Frame<'ACK'> => f.type === 'ACK' && f.payload.msg_ref === 'USER_HELLO')
  link.send({
    type: 'USER_HELLO',
    from: ok.payload.user_id,
    to: ok.from,
    ts: Date.now() + skew,
    payload,
    sig,
  })
  await ack
  const { authKey, historyKey } = keys
  return {
    userId: ok.payload.user_id,
    username: ok.payload.username,
    serverId: ok.from,
    key,
    skew,
    authKey,
    historyKey,
    presence,
  }
}
