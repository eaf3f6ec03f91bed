/** @module Register and login on a user link (docs/wire.md §2–§3); the server never sees a password. */

import { randomBytes } from 'node:crypto'
import {
  assertKdfParams,
  b64uEncode,
  checkVerifier,
  DEFAULT_KDF,
  fakeSalt,
  hashVerifier,
  importPublicKey,
  verifyPayload,
} from '../../crypto/index.ts'
import { ChatError } from '../../errors.ts'
import { signed } from '../context.ts'
import { isUuid, USERNAME_RE } from '../ids.ts'
import { announceDirectoryEntry } from '../presence.ts'
import type { UserCall, UserFrame } from './_types.ts'

const LOGIN_FAILED = 'invalid username or password'
/** Failed attempts allowed on one connection before it is closed. */
const MAX_FAILS_PER_LINK = 5

/** A verifier for a random key: unknown logins are checked against it so both paths cost the same. */
let dummyVerifier: Promise<string> | null = null
function dummy(): Promise<string> {
  dummyVerifier ??= hashVerifier(b64uEncode(randomBytes(32)))
  return dummyVerifier
}

async function sendAuthOk(
  c: UserCall,
  user: { userId: string; username: string; pubkey: string; privkeyStore: string },
) {
  const nonce = b64uEncode(randomBytes(32))
  c.link.auth = { stage: 'authenticated', userId: user.userId, nonce }
  const payload = {
    user_id: user.userId,
    username: user.username,
    pubkey: user.pubkey,
    privkey_store: user.privkeyStore,
    nonce,
    server_ts: Date.now(),
  }
  c.link.send(await signed(c.ctx, 'AUTH_OK', user.userId, payload))
}

export async function onRegister(f: UserFrame<'USER_REGISTER'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  if (link.auth.stage !== 'new') throw new ChatError('BAD_REQUEST', 'this connection is already logging in')
  const p = f.payload
  const username = p.username.toLowerCase()
  if (!USERNAME_RE.test(username))
    throw new ChatError('BAD_REQUEST', 'username must be 3-32 characters of a-z, 0-9 and _')
  if (!isUuid(f.from)) throw new ChatError('BAD_REQUEST', 'from must be the new user id (UUID v4)')
  const pub = importPublicKey(p.pubkey)
  assertKdfParams(p.kdf)
  // Proof of possession: the registration is signed by the key it registers.
  if (!f.sig || !verifyPayload(pub, c.raw, f.sig))
    throw new ChatError('INVALID_SIG', 'registration must be signed with the new key')
  const taken = () => {
    if (ctx.store.users.byId(f.from) || ctx.store.directory.byId(f.from))
      throw new ChatError('NAME_IN_USE', 'user id already registered')
    if (ctx.store.directory.byUsername(username))
      throw new ChatError('NAME_IN_USE', `username "${username}" is taken`)
  }
  taken()
  const pakePassword = await ctx.guard.hash(link.remote, () => hashVerifier(p.auth_key))
  const created = Date.now()
  ctx.store.transaction(() => {
    taken() // again: another registration may have landed while argon2 ran
    ctx.store.users.create({
      userId: f.from,
      username,
      pubkey: pub.spki,
      privkeyStore: p.privkey_store,
      pakePassword,
      kdf: p.kdf,
      meta: { display_name: username },
      homeServer: ctx.me.serverId,
    })
    ctx.store.directory.upsert({
      userId: f.from,
      username,
      pubkey: pub.spki,
      serverId: ctx.me.serverId,
      created,
    })
  })
  ctx.log.info(`registered ${username} (${f.from})`)
  await announceDirectoryEntry(ctx, {
    userId: f.from,
    username,
    pubkey: pub.spki,
    serverId: ctx.me.serverId,
    created,
  })
  await sendAuthOk(c, { userId: f.from, username, pubkey: pub.spki, privkeyStore: p.privkey_store })
}

export async function onAuthHello(f: UserFrame<'AUTH_HELLO'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  if (link.auth.stage !== 'new') throw new ChatError('BAD_REQUEST', 'this connection is already logging in')
  // Every answer below is signed (≈ 3 ms of RSA): the address pays from its allowance first.
  ctx.guard.challenge(link.remote)
  const login = f.payload.login.toLowerCase()
  const account = isUuid(login) ? ctx.store.users.byId(login) : ctx.store.users.byUsername(login)
  if (!account) {
    const entry = isUuid(login) ? ctx.store.directory.byId(login) : ctx.store.directory.byUsername(login)
    if (entry && entry.serverId !== ctx.me.serverId) {
      const addr = ctx.addrs.get(entry.serverId)
      const where = addr ? ` (ws://${addr.host}:${addr.port})` : ''
      throw new ChatError('AUTH_FAILED', `account lives on server ${entry.serverId}${where}: log in there`)
    }
  }
  const kdf = account?.kdf ?? {
    name: 'scrypt' as const,
    salt: fakeSalt(ctx.me.secret, login),
    ...DEFAULT_KDF,
  }
  link.auth = { stage: 'challenged', login, userId: account?.userId ?? null }
  link.send(await signed(ctx, 'AUTH_CHALLENGE', '', { kdf }))
}

export async function onAuthResponse(f: UserFrame<'AUTH_RESPONSE'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  const auth = link.auth
  if (auth.stage !== 'challenged') throw new ChatError('BAD_REQUEST', 'send AUTH_HELLO first')
  // One answer per challenge, whatever happens below (a refusal included).
  link.auth = { stage: 'new' }
  const account = auth.userId ? ctx.store.users.byId(auth.userId) : null
  const verifier = account?.pakePassword ?? (await dummy())
  // Unknown logins take the same path and the same argon2 work as known ones; the gate key is the
  // account's id (so its name and its UUID share one throttle), else the login as typed.
  const ok = await ctx.guard.check(
    {
      account: account?.userId ?? `login:${auth.login}`,
      address: link.remote,
      known: account !== null,
      alive: () => !link.closed,
      who: account ? `user ${account.userId}` : '',
    },
    () => checkVerifier(f.payload.auth_key, verifier),
  )
  if (!ok || !account) {
    link.authFailures++
    if (link.authFailures >= MAX_FAILS_PER_LINK)
      setTimeout(() => link.close(1008, 'too many failed logins'), 50)
    throw new ChatError('AUTH_FAILED', LOGIN_FAILED)
  }
  await sendAuthOk(c, account)
}
