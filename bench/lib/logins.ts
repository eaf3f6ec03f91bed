/**
 * @module Cheap logged-in users for the login-scale scenario: accounts written straight into a
 * server's database before it starts (one shared password, salt and key pool, and a low-cost
 * argon2id verifier, so filling 10,000 accounts costs no KDF per user), and raw WebSocket logins
 * that do exactly the wire's steps (docs/wire.md §3) with one RSA signature each (USER_HELLO).
 */

import { randomUUID } from 'node:crypto'
import {
  deriveKeys,
  type KeyPair,
  newKdfParams,
  sealPrivateKey,
  signPayload,
} from '../../src/crypto/index.ts'
import { openStore } from '../../src/store/index.ts'

export type Account = { userId: string; username: string; key: KeyPair }

/** Writes `n` accounts homed at `serverId` into the database at `db`; returns them and their auth key. */
export async function seedAccounts(
  db: string,
  serverId: string,
  n: number,
  keys: readonly KeyPair[],
  password: string,
): Promise<{ accounts: Account[]; authKey: string }> {
  const kdf = newKdfParams('load')
  const { blobKey, authKey } = await deriveKeys(password, kdf)
  // The verifier's parameters are read from the hash itself, so the server checks this cheap one
  // as it would the real one: the KDF is a constant per login, measured apart (crypto, scrypt/argon2).
  const pakePassword = await Bun.password.hash(authKey, {
    algorithm: 'argon2id',
    memoryCost: 64,
    timeCost: 1,
  })
  const blobs = keys.map((k) => sealPrivateKey(k.pkcs8, blobKey, kdf))
  const store = openStore(db)
  const accounts: Account[] = []
  try {
    store.transaction(() => {
      for (let i = 0; i < n; i++) {
        const key = keys[i % keys.length]!
        const a = { userId: randomUUID(), username: `load${i}`, key }
        store.users.create({
          userId: a.userId,
          username: a.username,
          pubkey: key.publicKey.spki,
          privkeyStore: blobs[i % keys.length]!,
          pakePassword,
          kdf,
          meta: { display_name: a.username },
          homeServer: serverId,
        })
        store.directory.upsert({
          userId: a.userId,
          username: a.username,
          pubkey: key.publicKey.spki,
          serverId,
          created: Date.now(),
        })
        accounts.push(a)
      }
    })
  } finally {
    store.close()
  }
  return { accounts, authKey }
}

type Reply = { type: string; from: string; payload: Record<string, unknown> }

/** A logged-in raw session: it reads (and drops) whatever the server sends, so nothing backs up. */
export type RawSession = { ws: WebSocket; frames: number }

/** AUTH_HELLO → AUTH_CHALLENGE → AUTH_RESPONSE → AUTH_OK → USER_HELLO (contacts mode) → ACK. */
export async function rawLogin(url: string, a: Account, authKey: string): Promise<RawSession> {
  const ws = new WebSocket(url)
  const session: RawSession = { ws, frames: 0 }
  const waiting: ((r: Reply) => void)[] = []
  ws.onmessage = (e) => {
    session.frames++
    const r = JSON.parse(String(e.data)) as Reply
    waiting.shift()?.(r)
  }
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = () => reject(new Error(`cannot connect to ${url}`))
  })
  const ask = (type: string, from: string, payload: object, sig?: string) =>
    new Promise<Reply>((resolve) => {
      waiting.push(resolve)
      ws.send(JSON.stringify({ type, from, to: '', ts: Date.now(), payload, ...(sig && { sig }) }))
    })
  const expectType = (r: Reply, type: string) => {
    if (r.type !== type)
      throw new Error(`${a.username}: expected ${type}, got ${r.type} ${JSON.stringify(r.payload)}`)
    return r
  }
  expectType(await ask('AUTH_HELLO', '', { login: a.username }), 'AUTH_CHALLENGE')
  const ok = expectType(await ask('AUTH_RESPONSE', '', { auth_key: authKey }), 'AUTH_OK')
  const spki = a.key.publicKey.spki
  const hello = {
    client: 'bench',
    pubkey: spki,
    enc_pubkey: spki,
    nonce: ok.payload.nonce,
    presence: 'contacts',
  }
  expectType(await ask('USER_HELLO', a.userId, hello, await signPayload(a.key.privateKey, hello)), 'ACK')
  return session
}
