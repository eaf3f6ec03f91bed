/**
 * @module Register and login from the client's side (docs/wire.md §1–§3). The password never
 * leaves this process: scrypt + HKDF make the blob key and the auth key here, only the auth key
 * goes to the server, and the private-key blob is opened locally.
 */

import { randomUUID } from 'node:crypto'
import {
  deriveKeys,
  generateKeyPair,
  importPrivateKey,
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
}

const CLIENT_NAME = 'socp-ts/0.1'

/** Whose presence the server pushes: everyone's, or only users this client looked up (docs/wire.md §10). */
export type PresenceMode = 'all' | 'contacts'

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
  const kdf = newKdfParams()
  const { blobKey, authKey } = await deriveKeys(password, kdf)
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
  return hello(link, f, kp.privateKey, presence)
}

/**
 * AUTH_HELLO → AUTH_CHALLENGE → AUTH_RESPONSE → AUTH_OK, open the key blob locally, USER_HELLO.
 * @throws ChatError('AUTH_FAILED') for an unknown user or a wrong password (they look the same).
 */
export async function login(
  link: ClientLink,
  loginName: string,
  password: string,
  presence: PresenceMode = 'all',
): Promise<Identity> {
  const challenge = link.expect(is('AUTH_CHALLENGE'))
  link.send({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: loginName } })
  const { payload } = await challenge
  let keys: Awaited<ReturnType<typeof deriveKeys>>
  try {
    keys = await deriveKeys(password, payload.kdf)
  } catch {
    throw new ChatError('AUTH_FAILED', 'the server offered unusable key-derivation parameters')
  }
  // The server may hold the check behind an account's throttle (up to 3 × 8 s against one guessing
  // address, src/server/users/_gate.ts); it ends an unfinished login after 60 s.
  const answer = link.expect(is('AUTH_OK'), { timeoutMs: 45_000 })
  link.send({ type: 'AUTH_RESPONSE', from: '', to: '', ts: Date.now(), payload: { auth_key: keys.authKey } })
  const ok = await answer
  let key: PrivateKey
  try {
    key = await importPrivateKey(openPrivateKey(ok.payload.privkey_store, keys.blobKey))
  } catch (e) {
    if (e instanceof DecryptFailed || e instanceof ChatError) {
      throw new ChatError('AUTH_FAILED', 'the stored private key does not open with this password')
    }
    throw e
  }
  if (key.publicKey.spki !== ok.payload.pubkey) {
    throw new ChatError('BAD_KEY', 'the stored private key does not match the account key')
  }
  return hello(link, ok, key, presence)
}

/** USER_HELLO with the nonce from AUTH_OK, signed by the user key; the server ACKs it. */
async function hello(
  link: ClientLink,
  ok: Frame<'AUTH_OK'>,
  key: PrivateKey,
  presence: PresenceMode,
): Promise<Identity> {
  const skew = ok.payload.server_ts - Date.now()
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
  return { userId: ok.payload.user_id, username: ok.payload.username, serverId: ok.from, key, skew }
}
