/**
 * @module Scenario 7, server memory: one server in its own process; its RSS idle, and with 1,000
 * connected, logged-in users (60 with --quick, extrapolated to 1,000 and marked so). The users
 * are real Sessions in this process sharing the key pool; each registration costs a scrypt here
 * and an argon2id there, which is also timed against its crypto bound — twice, on fresh servers:
 * with clients told only of their contacts (`--presence contacts`, the issue 14 target), then
 * with clients that follow everyone (the terminal's default: every login is a presence frame to
 * every client, N²/2 deliveries handled in this process).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PresenceMode } from '../../src/client/auth.ts'
import { Session } from '../../src/client/session.ts'
import { describeWork, fastestCosts, parallelMs, registerWork, scaleWork } from '../lib/bound.ts'
import { cpuMs, jsThreadCpuMs, memoryMiB, startChildServer } from '../lib/child.ts'
import { type Row, withTarget } from '../lib/report.ts'
import type { Ctx, Scenario } from '../lib/scenario.ts'
import { stormRows } from '../lib/storm.ts'
import { LossError, pool } from '../lib/wait.ts'
import { PASSWORD } from '../lib/world.ts'

const FULL_USERS = 1_000
const TARGET_MIB = 150

type Health = { users: { local: number } }

/** One server, `users` registrations 8 at a time; the time, the CPU of both processes, the RSS. */
async function registrations(ctx: Ctx, users: number, presence: PresenceMode) {
  const dir = mkdtempSync(join(tmpdir(), 'socp-bench-mem-'))
  const server = await startChildServer(join(dir, 'server.db'))
  const sessions: Session[] = []
  try {
    await Bun.sleep(2_000)
    const idle = memoryMiB(server.pid)
    let lastSay = performance.now()
    const before = await ctx.recalibrate()
    const t0 = performance.now()
    const cpu0 = { bench: process.cpuUsage(), server: cpuMs(server.pid), js: jsThreadCpuMs() }
    await pool(
      Array.from({ length: users }, (_, i) => i),
      8,
      async (i) => {
        const s = await Session.connect(server.url, { downloadsDir: dir, presence })
        sessions.push(s)
        await s.register(`mem${i}`, PASSWORD, { keyPair: ctx.userKeys[i % ctx.userKeys.length]! })
        if (performance.now() - lastSay > 10_000) {
          lastSay = performance.now()
          ctx.say(`  ${sessions.length} users, server RSS ${memoryMiB(server.pid).rss.toFixed(0)} MiB`)
        }
      },
    )
    const ms = performance.now() - t0
    // CPU both processes spent on it (clients here, the server there): what the wall time would
    // be on these cores with nothing else running. The machine is shared, so both are reported.
    const used = process.cpuUsage(cpu0.bench)
    const serverMs = cpuMs(server.pid) - cpu0.server
    const client = { user: used.user / 1000, system: used.system / 1000, js: jsThreadCpuMs() - cpu0.js }
    const after = await ctx.recalibrate()
    const h = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Health
    if (h.users.local !== users)
      throw new LossError(`${users} users logged in, the server counts ${h.users.local}`)
    // Let the last broadcasts drain before reading memory.
    await Bun.sleep(3_000)
    const loaded = memoryMiB(server.pid)
    return { ms, serverMs, client, idle, loaded, before, after, costs: fastestCosts(before, after) }
  } finally {
    await server.stop()
    await Promise.all(sessions.map((s) => s.close().catch(() => {})))
    rmSync(dir, { recursive: true, force: true })
  }
}

type Registrations = Awaited<ReturnType<typeof registrations>>

/** The registrations' storm rows: with one server, argon2's pool may be the floor instead. */
function registrationRows(r: Registrations, users: number, mode: PresenceMode): Row[] {
  // One server and no peers: the presence batch is signed only for clients following everyone.
  const perUser = registerWork({ loginPage: mode === 'all', presenceBatch: mode === 'all' })
  // The server's argon2 pool runs half the cores at once (src/server/users/guard.ts): if that
  // is longer than all the work spread over every core, it is the floor.
  const argon2Ms = (users * r.costs.argon2.oneCoreMs) / Math.max(1, Math.floor(r.costs.cores / 2))
  const cores = r.costs.cores
  const cpuMs = r.client.user + r.client.system + r.serverMs
  return stormRows({
    scenario: 'memory',
    what: `${users} registrations + logins`,
    mode,
    seconds: r.ms / 1000,
    cpuSeconds: cpuMs / cores / 1000,
    floor: Math.max(parallelMs(r.costs, scaleWork(perUser, users)), argon2Ms) / 1000,
    around: r,
    note: `8 at a time; floor = ${describeWork(perUser)} per user, all cores (argon2 alone on its pool: ${(argon2Ms / 1000).toFixed(0)} s)`,
    cpuNote: `${(cpuMs / 1000).toFixed(0)} s of CPU: the server's process ${(r.serverMs / 1000).toFixed(0)} s, the clients' ${((r.client.user + r.client.system) / 1000).toFixed(0)} s (their JS thread ${(r.client.js / 1000).toFixed(0)} s, the rest scrypt and signatures on threads of their own; ${(r.client.system / 1000).toFixed(0)} s in the kernel), over ${cores} cores; the wall time without other work on the machine`,
  })
}

export const memory: Scenario = {
  id: 'memory',
  title: `server memory, idle and with ${FULL_USERS.toLocaleString('en-US')} users`,
  timeoutMs: (quick) => (quick ? 120_000 : 600_000),
  async run(ctx) {
    const users = ctx.quick ? 60 : FULL_USERS
    const few = await registrations(ctx, users, 'contacts')
    ctx.say(
      `  ${users} contacts-mode registrations in ${(few.ms / 1000).toFixed(0)} s; now clients that follow everyone`,
    )
    const all = await registrations(ctx, users, 'all')
    const perUserKiB = ((all.loaded.rss - all.idle.rss) * 1024) / users
    const target = { on: 'value', op: '<=', limit: TARGET_MIB } as const
    return [
      { scenario: 'memory', metric: 'RSS idle', value: all.idle.rss, unit: 'MiB' },
      withTarget(
        {
          scenario: 'memory',
          metric: `RSS, ${users} users`,
          value: all.loaded.rss,
          unit: 'MiB',
          note: `clients following everyone (${few.loaded.rss.toFixed(0)} MiB with contacts-mode clients); peak ${all.loaded.peak.toFixed(0)} MiB; ${perUserKiB.toFixed(0)} KiB per user${users === FULL_USERS ? '' : `; --quick: ${users} users, the target is for ${FULL_USERS}`}`,
        },
        users === FULL_USERS ? target : undefined,
      ),
      ...registrationRows(few, users, 'contacts'),
      ...registrationRows(all, users, 'all'),
    ]
  },
}
