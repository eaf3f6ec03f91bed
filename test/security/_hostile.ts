/**
 * @module A hostile home server written for the issue 15 tests: a `Bun.serve` that speaks just
 * enough of the user-link protocol (register, login, USER_HELLO, LIST, USER_REKEY) to the real
 * `Session` and the real CLI, and lets each test choose what it lies about: the KDF challenge,
 * its clock, the online list, and frames pushed at the victim.
 */

import { afterEach } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import type { ServerWebSocket } from 'bun'
import { b64uEncode } from '../../src/crypto/index.ts'

export type Wire = { type: string; from: string; to: string; ts: number; payload: Record<string, unknown> }
export type Kdf = { name: 'scrypt'; salt: string; N: number; r: number; p: number }
export type Account = {
  userId: string
  username: string
  pubkey: string
  privkeyStore: string
  kdf: Kdf
  authKey: string
}
export type Listed = { user_id: string; username: string; server_id: string; pubkey: string }

export type HostileOptions = {
  /** The KDF parameters offered at login (default: the account's own). */
  challenge?: (login: string, account: Account | undefined) => Kdf
  /** The `server_ts` of AUTH_OK (default: now). */
  serverTs?: () => number
  /** Who else the online list holds (after the victim itself). */
  others?: () => Listed[]
}

export type Hostile = {
  url: string
  serverId: string
  accounts: Map<string, Account>
  /** Every frame a client sent, in order. */
  received: Wire[]
  /** Sends a frame to the logged-in client of `userId`. */
  push(userId: string, frame: Wire): void
  opts: HostileOptions
}

const stops: (() => void)[] = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

type Conn = { login: string | null; account: Account | null }

/** Starts a hostile server on a loopback port 0; stopped after the test. */
export function hostileServer(opts: HostileOptions = {}): Hostile {
  const serverId = randomUUID()
  const accounts = new Map<string, Account>()
  const received: Wire[] = []
  const bound = new Map<string, ServerWebSocket<Conn>>()
  const h: Hostile = { url: '', serverId, accounts, received, push: () => {}, opts }
  const frame = (type: string, to: string, payload: Record<string, unknown>): Wire => ({
    type,
    from: serverId,
    to,
    ts: Date.now(),
    payload,
  })
  const send = (ws: ServerWebSocket<Conn>, f: Wire): void => void ws.send(JSON.stringify(f))
  const authOk = (ws: ServerWebSocket<Conn>, a: Account) =>
    send(
      ws,
      frame('AUTH_OK', a.userId, {
        user_id: a.userId,
        username: a.username,
        pubkey: a.pubkey,
        privkey_store: a.privkeyStore,
        nonce: b64uEncode(randomBytes(32)),
        server_ts: h.opts.serverTs?.() ?? Date.now(),
      }),
    )
  const list = (a: Account): Listed[] => [
    { user_id: a.userId, username: a.username, server_id: serverId, pubkey: a.pubkey },
    ...(h.opts.others?.() ?? []),
  ]
  const find = (login: string) =>
    [...accounts.values()].find((a) => a.userId === login.toLowerCase() || a.username === login.toLowerCase())

  const srv = Bun.serve<Conn, never>({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req, s) {
      return s.upgrade(req, { data: { login: null, account: null } })
        ? undefined
        : new Response('no', { status: 400 })
    },
    websocket: {
      message(ws, raw) {
        const f = JSON.parse(String(raw)) as Wire
        received.push(f)
        const p = f.payload
        switch (f.type) {
          case 'USER_REGISTER': {
            const a: Account = {
              userId: f.from,
              username: String(p.username),
              pubkey: String(p.pubkey),
              privkeyStore: String(p.privkey_store),
              kdf: p.kdf as Kdf,
              authKey: String(p.auth_key),
            }
            accounts.set(a.userId, a)
            ws.data.account = a
            return authOk(ws, a)
          }
          case 'AUTH_HELLO': {
            const login = String(p.login)
            const a = find(login)
            ws.data = { login, account: a ?? null }
            const kdf = h.opts.challenge?.(login, a) ?? a?.kdf
            return send(ws, frame('AUTH_CHALLENGE', '', { kdf }))
          }
          case 'AUTH_RESPONSE': {
            const a = ws.data.account
            // A hostile server has every verifier it wants: it lets in whoever it is talking to.
            if (!a) return send(ws, frame('ERROR', '', { code: 'AUTH_FAILED', detail: 'no' }))
            return authOk(ws, a)
          }
          case 'USER_HELLO': {
            const a = ws.data.account!
            bound.set(a.userId, ws)
            send(ws, frame('ACK', a.userId, { msg_ref: 'USER_HELLO' }))
            return send(ws, frame('USER_LIST', a.userId, { users: list(a) }))
          }
          case 'USER_REKEY': {
            const a = ws.data.account!
            Object.assign(a, {
              privkeyStore: String(p.privkey_store),
              kdf: p.kdf as Kdf,
              authKey: String(p.auth_key),
            })
            return send(ws, frame('ACK', a.userId, { msg_ref: 'USER_REKEY' }))
          }
          case 'LIST':
            return send(ws, frame('USER_LIST', f.from, { users: list(ws.data.account!) }))
          default:
            return
        }
      },
    },
  })
  stops.push(() => srv.stop(true))
  h.url = `ws://127.0.0.1:${srv.port}`
  h.push = (userId, f) => {
    const ws = bound.get(userId)
    if (!ws) throw new Error(`${userId} is not logged in here`)
    send(ws, f)
  }
  return h
}
