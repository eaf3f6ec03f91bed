/** @module Register and login on a user link (docs/wire.md §2–§3); the server never sees a password. */

import { randomBytes } from 'node:crypto'
import {
  accountSalt,
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
import { wsUrl } from '../../net/index.ts'
import { isUsername, isUuid, USERNAME_RULE } from '../../protocol/index.ts'
import { announceDirectoryEntry } from '../announce.ts'
import type { UserCall, UserFrame } from './_types.ts'

const LOGIN_FAILED = 'invalid username or password'

async function sendAuthOk(
  c: UserCall,
  user: { userId: string; username: string; pubkey: string; privkeyStore: string },
) {
  const nonce = b64uEncode(randomBytes(32))
  c.login.authenticate(user.userId, nonce)
  const payload = {
    user_id: user.userId,
    username: user.username,
    pubkey: user.pubkey,
    privkey_store: user.privkeyStore,
    nonce,
    server_ts: Date.now(),
  }
  await c.ctx.outbox.send(c.link, 'AUTH_OK', user.userId, payload)
}

/** A new account's id and name must be free here (PROTOCOL.md §6); shared names only arise elsewhere. */
function assertFree(ctx: UserCall['ctx'], userId: string, username: string): void {
  if (ctx.store.users.byId(userId) || ctx.store.directory.byId(userId))
    throw new ChatError('NAME_IN_USE', 'user id already registered')
  if (ctx.store.directory.byUsername(username))
    throw new ChatError('NAME_IN_USE', `username "${username}" is taken`)
}

export async function onRegister(f: UserFrame<'USER_REGISTER'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  if (c.login.state.stage !== 'new')
    throw new ChatError('BAD_REQUEST', 'this connection is already logging in')
  const p = f.payload
  const username = p.username.toLowerCase()
  if (!isUsername(username)) throw new ChatError('BAD_REQUEST', USERNAME_RULE)
  if (!isUuid(f.from)) throw new ChatError('BAD_REQUEST', 'from must be the new user id (UUID v4)')
  const pub = importPublicKey(p.pubkey)
  assertKdfParams(p.kdf)
  // Proof of possession: the registration is signed by the key it registers.
  if (!f.sig || !verifyPayload(pub, c.raw, f.sig))
    throw new ChatError('INVALID_SIG', 'registration must be signed with the new key')
  const taken = () => assertFree(ctx, f.from, username)
  taken()
  // Accounts are permanent and replicated mesh-wide: each address may create only so many.
  ctx.guard.register(link.remote)
  c.login.register()
  try {
    await createAccount(c, f, username, pub)
  } catch (e) {
    c.login.reset()
    throw e
  }
}

async function createAccount(
  c: UserCall,
  f: UserFrame<'USER_REGISTER'>,
  username: string,
  pub: ReturnType<typeof importPublicKey>,
): Promise<void> {
  const { ctx, link } = c
  const p = f.payload
  const taken = () => assertFree(ctx, f.from, username)
  const pakePassword = await ctx.guard.hash(link.remote, () => hashVerifier(p.auth_key))
  const created = Date.now()
  ctx.store.transaction(() => {
    try {
      taken() // again: another registration may have landed while argon2 ran
    } catch (e) {
      ctx.guard.unregister(link.remote)
      throw e
    }
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
  if (c.login.state.stage !== 'new')
    throw new ChatError('BAD_REQUEST', 'this connection is already logging in')
  // Every answer below is signed (≈ 3 ms of RSA): the address pays from its allowance first.
  ctx.guard.challenge(link.remote)
  const login = f.payload.login.toLowerCase()
  const account = isUuid(login) ? ctx.store.users.byId(login) : ctx.store.users.byUsername(login)
  if (!account) {
    const entry = isUuid(login) ? ctx.store.directory.byId(login) : ctx.store.directory.byUsername(login)
    if (entry && entry.serverId !== ctx.me.serverId) {
      const addr = ctx.store.servers.get(entry.serverId)
      const where = addr ? ` (${wsUrl(addr)})` : ''
      throw new ChatError('AUTH_FAILED', `account lives on server ${entry.serverId}${where}: log in there`)
    }
  }
  // An unknown name gets the salt its client would derive (PROTOCOL.md §6), so the challenge looks
  // like a migrated account's; an unknown id (no name to derive from) a keyed stable fake.
  const kdf = account?.kdf ?? {
    name: 'scrypt' as const,
    salt: isUuid(login) ? fakeSalt(ctx.me.secret, login) : accountSalt(login),
    ...DEFAULT_KDF,
  }
  c.login.challenge(login, account?.userId ?? null)
  await ctx.outbox.send(link, 'AUTH_CHALLENGE', '', { kdf })
}

export async function onAuthResponse(f: UserFrame<'AUTH_RESPONSE'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  const auth = c.login.state
  if (auth.stage !== 'challenged') throw new ChatError('BAD_REQUEST', 'send AUTH_HELLO first')
  // One answer per challenge, whatever happens below (a refusal included).
  c.login.reset()
  const account = auth.userId ? ctx.store.users.byId(auth.userId) : null
  const verifier = account?.pakePassword ?? (await ctx.guard.dummy())
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
    if (c.login.fail()) setTimeout(() => link.close(1008, 'too many failed logins'), 50)
    throw new ChatError('AUTH_FAILED', LOGIN_FAILED)
  }
  await sendAuthOk(c, account)
}

/**
 * USER_REKEY (docs/wire.md §3a): a logged-in client moves its account to the KDF parameters it
 * owns. Signed by the account key; the salt must be the one derived from the username, so a
 * client cannot be talked back into a server-chosen one through this frame either.
 */
export async function onRekey(f: UserFrame<'USER_REKEY'>, c: UserCall): Promise<void> {
  const { ctx, link } = c
  const bound = c.login.boundUser
  if (!bound || f.from !== bound) throw new ChatError('AUTH_FAILED', 'log in before USER_REKEY')
  const account = ctx.store.users.byId(bound)
  if (!account) throw new ChatError('AUTH_FAILED', 'account not found')
  const p = f.payload
  assertKdfParams(p.kdf)
  if (p.kdf.salt !== accountSalt(account.username) || p.kdf.N < DEFAULT_KDF.N)
    throw new ChatError(
      'BAD_REQUEST',
      'USER_REKEY must use the username-derived salt at the default cost or more',
    )
  if (!f.sig || !verifyPayload(importPublicKey(account.pubkey), c.raw, f.sig))
    throw new ChatError('INVALID_SIG', 'USER_REKEY must be signed with the account key')
  const pakePassword = await ctx.guard.hash(link.remote, () => hashVerifier(p.auth_key))
  ctx.store.users.rekey(account.userId, { privkeyStore: p.privkey_store, pakePassword, kdf: p.kdf })
  ctx.log.info(`${account.username} moved to client-owned KDF parameters`)
  await ctx.outbox.send(link, 'ACK', account.userId, { msg_ref: 'USER_REKEY' })
}
