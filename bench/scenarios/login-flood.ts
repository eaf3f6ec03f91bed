/**
 * @module Login attacks (issue 11): honest DM p50 on a server while 64 connections hammer logins
 * (against its p50 idle, target ≤ 3×, nothing lost), and online guesses/s against one account
 * with 256 connections (target ≤ 1/s sustained). The attackers run in their own process.
 */

import { join } from 'node:path'
import { b64uEncode, checkVerifier, hashVerifier } from '../../src/crypto/index.ts'
import { Arrivals, serialDms } from '../lib/dm.ts'
import { type Row, vs, withTarget } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { LossError } from '../lib/wait.ts'
import { World } from '../lib/world.ts'

const HAMMER = join(import.meta.dir, '..', 'lib', 'hammer.ts')

type Summary = { counts: Record<string, number>; failedAt: number[] }

/** Runs the attacker process; resolves with its summary once it ends. */
async function hammer(url: string, conns: number, seconds: number, login: string): Promise<Summary> {
  const p = Bun.spawn([process.execPath, HAMMER, url, String(conns), String(seconds), login], {
    stdout: 'pipe',
    stderr: 'ignore',
  })
  const out = await new Response(p.stdout).text()
  await p.exited
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as Summary
}

/** argon2id checks per second this machine's pool can run: the rate guessing would get unthrottled. */
async function argonCapacity(poolSize: number): Promise<number> {
  const verifier = await hashVerifier(b64uEncode(new Uint8Array(32)))
  const t0 = performance.now()
  for (let i = 0; i < 10; i++) await checkVerifier(b64uEncode(new Uint8Array(32).fill(i + 1)), verifier)
  return (poolSize * 10 * 1000) / (performance.now() - t0)
}

export const loginFlood: Scenario = {
  id: 'login-flood',
  title: 'Login flood (64 connections) vs honest DMs; online guessing (256 connections)',
  timeoutMs: (quick) => (quick ? 90_000 : 240_000),
  async run(ctx) {
    const w = new World(ctx.serverKeys, ctx.userKeys)
    try {
      const s = await w.server()
      const [alice, bob] = await w.registerAll(
        [
          { server: s, name: 'alice', keyIndex: 0 },
          { server: s, name: 'bob', keyIndex: 1 },
        ],
        2,
      )
      const arrivals = new Arrivals([bob!])
      const count = ctx.quick ? 40 : 150
      await serialDms(alice!, bob!, arrivals, { count: 5, tag: 'warm-up' })
      const idle = summarize(await serialDms(alice!, bob!, arrivals, { count, tag: 'idle', gapMs: 20 }))

      ctx.say('  64 connections hammering logins')
      const checks0 = s.ctx.guard.pool.stats().completed
      const floodSeconds = ctx.quick ? 8 : 25
      const flood = hammer(s.url, 64, floodSeconds, '*')
      await Bun.sleep(1_000)
      const t0 = performance.now()
      let stop = false
      const stopAt = setTimeout(() => (stop = true), (floodSeconds - 2) * 1000)
      const lat = await serialDms(alice!, bob!, arrivals, {
        count: 100_000,
        tag: 'flood',
        gapMs: 20,
        stop: () => stop,
      })
      clearTimeout(stopAt)
      const floodMs = performance.now() - t0
      const attack = await flood
      const checksPerSec = ((s.ctx.guard.pool.stats().completed - checks0) * 1000) / floodMs
      if (arrivals.duplicates > 0) throw new LossError(`${arrivals.duplicates} DMs delivered twice`)
      const under = summarize(lat)
      const tries = Object.values(attack.counts).reduce((a, b) => a + b, 0)

      ctx.say('  256 connections guessing one password')
      const capacity = await argonCapacity(s.ctx.guard.pool.size)
      const guessSeconds = ctx.quick ? 15 : 60
      const guess = await hammer(s.url, 256, guessSeconds, 'alice')
      const all = guess.failedAt.length / guessSeconds
      // Sustained: the second half of the window, after the free failures and the delay's ramp.
      const half = (guessSeconds * 1000) / 2
      const sustained = guess.failedAt.filter((t) => t >= half).length / (guessSeconds / 2)
      const guessRow = (metric: string, value: number, target: boolean): Row =>
        withTarget(
          { ...vs({ scenario: 'login-flood', metric, value, unit: '/s' }, { bound: capacity }) },
          target ? { on: 'value', op: '<=', limit: 1 } : undefined,
        )
      return [
        {
          ...vs(
            { scenario: 'login-flood', metric: 'honest DM p50 under flood', value: under.p50, unit: 'ms' },
            { floor: idle.p50 },
            { on: 'ratio', op: '<=', limit: 3 },
          ),
          note: `floor = DM p50 idle; n = ${under.n}, none lost; attacker: ${tries} tries, ${attack.counts.RATE_LIMITED ?? 0} refused before any argon2, ${checksPerSec.toFixed(1)} argon2 checks/s`,
        },
        vs(
          { scenario: 'login-flood', metric: 'honest DM p95 under flood', value: under.p95, unit: 'ms' },
          { floor: idle.p95 },
        ),
        {
          ...guessRow('guesses/s, 256 conns, sustained', sustained, true),
          note: `bound = argon2id checks/s the pool could run (${capacity.toFixed(1)}); second half of ${guessSeconds} s`,
        },
        {
          ...guessRow('guesses/s, 256 conns, whole window', all, false),
          note: `${guess.failedAt.length} checks in ${guessSeconds} s`,
        },
      ]
    } finally {
      await w.close()
    }
  },
}
