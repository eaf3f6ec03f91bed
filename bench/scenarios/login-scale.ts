/**
 * @module Scenario: server CPU per login and RSS with 100, 1,000 and 10,000 users logged in to one
 * server (50 / 200 / 1,000 with --quick). The server runs in its own process so its CPU and RSS
 * can be read from /proc; its accounts are written into its database before it starts (bench/lib/
 * logins.ts: shared keys, a cheap verifier), and the users are raw WebSocket sessions in
 * contacts mode (docs/wire.md §14). At each level, the last 100 logins are timed by the server's
 * CPU: flat per-login cost is the point (docs/scale.md).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeWork, serialMs, type Work } from '../lib/bound.ts'
import { cpuMs, memoryMiB, startChildServer } from '../lib/child.ts'
import { type RawSession, rawLogin, seedAccounts } from '../lib/logins.ts'
import { type Row, vs, withTarget } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { LossError, pool } from '../lib/wait.ts'
import { PASSWORD } from '../lib/world.ts'

const FULL = [100, 1_000, 10_000]
const QUICK = [50, 200, 1_000]
/** Logins timed at each level. */
const SAMPLE = 100
const CONCURRENCY = 16
const FLAT_TARGET = 1.5
const RSS_TARGET_MIB = 400
/**
 * The RSA a login costs the server: sign AUTH_OK, verify USER_HELLO, and join the public channel
 * (encrypt a wrap, sign PUBLIC_CHANNEL_ADD and _UPDATED). ACK, the login page and presence are
 * signed once per batch, not per login (docs/scale.md).
 */
const LOGIN_WORK: Work = { sign: 3, verify: 1, encrypt: 1 }

type Health = { users: { local: number } }

export const loginScale: Scenario = {
  id: 'login-scale',
  title: 'server CPU per login and RSS with 100, 1,000 and 10,000 users logged in',
  timeoutMs: (quick) => (quick ? 120_000 : 900_000),
  async run(ctx) {
    const levels = ctx.quick ? QUICK : FULL
    const total = levels.at(-1)!
    const dir = mkdtempSync(join(tmpdir(), 'socp-bench-logins-'))
    const db = join(dir, 'server.db')
    const serverId = crypto.randomUUID()
    const { accounts, authKey } = await seedAccounts(db, serverId, total, ctx.userKeys, PASSWORD)
    const server = await startChildServer(db, 20_000, ['--server-id', serverId])
    const sessions: RawSession[] = []
    try {
      await Bun.sleep(1_000)
      const idle = memoryMiB(server.pid).rss
      const rows: Row[] = [{ scenario: 'login-scale', metric: 'RSS idle', value: idle, unit: 'MiB' }]
      const perLogin: number[] = []
      let done = 0
      let lastSay = performance.now()
      const login = (i: number) =>
        rawLogin(server.url, accounts[i]!, authKey).then((s) => {
          sessions.push(s)
          if (performance.now() - lastSay > 10_000) {
            lastSay = performance.now()
            ctx.say(`  ${sessions.length} logged in, server RSS ${memoryMiB(server.pid).rss.toFixed(0)} MiB`)
          }
        })
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k)
      for (const level of levels) {
        const sampleFrom = Math.max(done, level - SAMPLE)
        await pool(range(done, sampleFrom), CONCURRENCY, login)
        const cpu0 = cpuMs(server.pid)
        const t0 = performance.now()
        await pool(range(sampleFrom, level), CONCURRENCY, login)
        const wall = performance.now() - t0
        // Let the last batches and channel frames go out before reading the counters.
        await Bun.sleep(500)
        const ms = (cpuMs(server.pid) - cpu0) / (level - sampleFrom)
        done = level
        const h = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Health
        if (h.users.local !== level)
          throw new LossError(`${level} logged in, the server counts ${h.users.local}`)
        perLogin.push(ms)
        const mem = memoryMiB(server.pid)
        rows.push(
          vs(
            {
              scenario: 'login-scale',
              metric: `server CPU per login, ${level.toLocaleString('en-US')} online`,
              value: ms,
              unit: 'ms',
              note: `last ${level - sampleFrom} logins, ${CONCURRENCY} at a time, ${(((level - sampleFrom) * 1000) / wall).toFixed(0)}/s; floor = ${describeWork(LOGIN_WORK)} (cheap verifier: argon2id excluded)`,
            },
            { floor: serialMs(ctx.costs, LOGIN_WORK) },
          ),
          withTarget(
            {
              scenario: 'login-scale',
              metric: `RSS, ${level.toLocaleString('en-US')} online`,
              value: mem.rss,
              unit: 'MiB',
              note: `peak ${mem.peak.toFixed(0)} MiB; ${(((mem.rss - idle) * 1024) / level).toFixed(0)} KiB per user`,
            },
            level === 10_000 ? { on: 'value', op: '<=', limit: RSS_TARGET_MIB } : undefined,
          ),
        )
      }
      rows.push(
        withTarget(
          {
            scenario: 'login-scale',
            metric: `CPU per login, ${levels.at(-1)!.toLocaleString('en-US')} ÷ ${levels[0]!.toLocaleString('en-US')} online`,
            value: perLogin.at(-1)! / perLogin[0]!,
            unit: '×',
            note: 'flat = 1.0',
          },
          ctx.quick ? undefined : { on: 'value', op: '<=', limit: FLAT_TARGET },
        ),
      )
      return rows
    } finally {
      await server.stop()
      for (const s of sessions) s.ws.close()
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
