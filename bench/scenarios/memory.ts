/**
 * @module Scenario 7, server memory: one server in its own process; its RSS idle, and with 1,000
 * connected, logged-in users (60 with --quick, extrapolated to 1,000 and marked so). The users
 * are real Sessions in this process sharing the key pool; each registration costs a scrypt here
 * and an argon2id there, which is also timed against its crypto bound.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from '../../src/client/session.ts'
import { describeWork, parallelMs, REGISTER_WORK, scaleWork } from '../lib/bound.ts'
import { cpuMs, jsThreadCpuMs, memoryMiB, startChildServer } from '../lib/child.ts'
import { type Row, vs, withTarget } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { LossError, pool } from '../lib/wait.ts'
import { PASSWORD } from '../lib/world.ts'

const FULL_USERS = 1_000
const TARGET_MIB = 150

type Health = { users: { local: number } }

export const memory: Scenario = {
  id: 'memory',
  title: `server memory, idle and with ${FULL_USERS.toLocaleString('en-US')} users`,
  timeoutMs: (quick) => (quick ? 60_000 : 360_000),
  async run(ctx) {
    const users = ctx.quick ? 60 : FULL_USERS
    const dir = mkdtempSync(join(tmpdir(), 'socp-bench-mem-'))
    const server = await startChildServer(join(dir, 'server.db'))
    const sessions: Session[] = []
    try {
      await Bun.sleep(2_000)
      const idle = memoryMiB(server.pid)
      const health = async () =>
        (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as Health
      let lastSay = performance.now()
      const t0 = performance.now()
      const cpu0 = { bench: process.cpuUsage(), server: cpuMs(server.pid), js: jsThreadCpuMs() }
      await pool(
        Array.from({ length: users }, (_, i) => i),
        8,
        async (i) => {
          const s = await Session.connect(server.url, { downloadsDir: dir })
          sessions.push(s)
          await s.register(`mem${i}`, PASSWORD, { keyPair: ctx.userKeys[i % ctx.userKeys.length]! })
          if (performance.now() - lastSay > 10_000) {
            lastSay = performance.now()
            ctx.say(`  ${sessions.length} users, server RSS ${memoryMiB(server.pid).rss.toFixed(0)} MiB`)
          }
        },
      )
      const loginMs = performance.now() - t0
      // CPU both processes spent on it (clients here, the server there): what the wall time would
      // be on these cores with nothing else running. The machine is shared, so both are reported.
      const used = process.cpuUsage(cpu0.bench)
      const serverCpuMs = cpuMs(server.pid) - cpu0.server
      const clientCpu = { user: used.user / 1000, system: used.system / 1000, js: jsThreadCpuMs() - cpu0.js }
      const cpuUsedMs = clientCpu.user + clientCpu.system + serverCpuMs
      const h = await health()
      if (h.users.local !== users)
        throw new LossError(`${users} users logged in, the server counts ${h.users.local}`)
      // Let the last broadcasts drain before reading memory.
      await Bun.sleep(3_000)
      const loaded = memoryMiB(server.pid)
      const perUserKiB = ((loaded.rss - idle.rss) * 1024) / users
      const target = { on: 'value', op: '<=', limit: TARGET_MIB } as const
      const work = scaleWork(REGISTER_WORK, users)
      // The server's argon2 pool runs half the cores at once (src/server/users/guard.ts): if that
      // is longer than all the work spread over every core, it is the floor.
      const argon2Ms = (users * ctx.costs.argon2.oneCoreMs) / Math.max(1, Math.floor(ctx.costs.cores / 2))
      const rows: Row[] = [
        { scenario: 'memory', metric: 'RSS idle', value: idle.rss, unit: 'MiB' },
        withTarget(
          {
            scenario: 'memory',
            metric: `RSS, ${users} users`,
            value: loaded.rss,
            unit: 'MiB',
            note: `peak ${loaded.peak.toFixed(0)} MiB; ${perUserKiB.toFixed(0)} KiB per user${users === FULL_USERS ? '' : `; --quick: ${users} users, the target is for ${FULL_USERS}`}`,
          },
          users === FULL_USERS ? target : undefined,
        ),
      ]
      rows.push(
        vs(
          {
            scenario: 'memory',
            metric: `${users} registrations + logins`,
            value: loginMs / 1000,
            unit: 's',
            note: `8 at a time; floor = ${describeWork(REGISTER_WORK)} per user, all cores (argon2 alone on its pool: ${(argon2Ms / 1000).toFixed(0)} s)`,
          },
          { floor: Math.max(parallelMs(ctx.costs, work), argon2Ms) / 1000 },
          { on: 'ratio', op: '<=', limit: 1.3 },
        ),
        vs(
          {
            scenario: 'memory',
            metric: `${users} registrations + logins: CPU used ÷ cores`,
            value: cpuUsedMs / ctx.costs.cores / 1000,
            unit: 's',
            note: `${(cpuUsedMs / 1000).toFixed(0)} s of CPU: the server's process ${(serverCpuMs / 1000).toFixed(0)} s, the clients' ${((clientCpu.user + clientCpu.system) / 1000).toFixed(0)} s (their JS thread ${(clientCpu.js / 1000).toFixed(0)} s, the rest scrypt and signatures on threads of their own; ${(clientCpu.system / 1000).toFixed(0)} s in the kernel), over ${ctx.costs.cores} cores; the wall time without other work on the machine`,
          },
          { floor: Math.max(parallelMs(ctx.costs, work), argon2Ms) / 1000 },
        ),
      )
      return rows
    } finally {
      await server.stop()
      await Promise.all(sessions.map((s) => s.close().catch(() => {})))
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
