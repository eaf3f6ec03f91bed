/**
 * @module Scenario 3, DM throughput: many sender/receiver pairs across two servers (half A → B,
 * half B → A), each sender keeping a few DMs in flight, for a fixed time. Delivered DMs per second
 * against the crypto bound of the path (its crypto spread over every core).
 */

import { DM_WORK, describeWork, parallelMs, serialMs } from '../lib/bound.ts'
import { Arrivals } from '../lib/dm.ts'
import { vs } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { LossError, until } from '../lib/wait.ts'
import { World } from '../lib/world.ts'

/** DMs a sender keeps in flight (sent, not yet delivered): enough to keep every core busy. */
const WINDOW = 4

export const dmThroughput: Scenario = {
  id: 'dm-throughput',
  title: 'DM throughput, many pairs across two servers, fixed time',
  timeoutMs: (quick) => (quick ? 45_000 : 120_000),
  async run(ctx) {
    const pairs = ctx.quick ? 6 : 12
    const warmMs = ctx.quick ? 1_000 : 2_000
    const measureMs = ctx.quick ? 4_000 : 15_000
    const w = new World(ctx.serverKeys, ctx.userKeys)
    try {
      const servers = await w.mesh(2)
      const specs = Array.from({ length: pairs }, (_, i) => [
        { server: servers[i % 2]!, name: `send${i}` },
        { server: servers[(i + 1) % 2]!, name: `recv${i}` },
      ]).flat()
      const users = await w.registerAll(specs, 4)
      const senders = users.filter((_, i) => i % 2 === 0)
      const receivers = users.filter((_, i) => i % 2 === 1)
      for (const s of senders) await s.session.list()

      const inflight = new Array<number>(pairs).fill(0)
      const wake: ((() => void) | null)[] = new Array(pairs).fill(null)
      const sentAt = new Map<string, number>()
      const latency: number[] = []
      const arrivals = new Arrivals(receivers)
      const tStart = performance.now()
      const tMeasure = tStart + warmMs
      const tEnd = tMeasure + measureMs
      let inWindow = 0
      arrivals.onArrive = (text, t) => {
        const pair = Number(text.slice(1, text.indexOf(' ')))
        inflight[pair]!--
        wake[pair]?.()
        if (t >= tMeasure && t < tEnd) {
          inWindow++
          latency.push(t - sentAt.get(text)!)
        }
      }
      const failures: string[] = []
      let sent = 0
      await Promise.all(
        senders.map(async (s, pair) => {
          const to = receivers[pair]!.userId
          for (let seq = 0; performance.now() < tEnd; seq++) {
            while (inflight[pair]! >= WINDOW && performance.now() < tEnd) {
              await new Promise<void>((r) => {
                wake[pair] = r
                setTimeout(r, 200)
              })
            }
            if (performance.now() >= tEnd) break
            const text = `p${pair} ${seq}`
            inflight[pair]!++
            sent++
            sentAt.set(text, performance.now())
            s.session.tell(to, text).catch((e: unknown) => failures.push(`${text}: ${String(e)}`))
          }
        }),
      )
      await until(() => arrivals.at.size + failures.length >= sent, 30_000, `${sent} DMs to arrive`).catch(
        () => {},
      )
      if (failures.length > 0) throw new LossError(`${failures.length} DMs failed, first: ${failures[0]}`)
      if (arrivals.at.size !== sent || arrivals.duplicates > 0)
        throw new LossError(`${sent} DMs sent, ${arrivals.at.size} delivered, ${arrivals.duplicates} twice`)

      const perSec = (inWindow / measureMs) * 1000
      const bound = 1000 / parallelMs(ctx.costs, DM_WORK)
      const lat = summarize(latency)
      return [
        vs(
          {
            scenario: 'dm-throughput',
            metric: `delivered, ${pairs} pairs`,
            value: perSec,
            unit: 'DM/s',
            note: `${sent} sent = delivered; bound = ${describeWork(DM_WORK)} over all cores`,
          },
          { bound },
          { on: 'ratio', op: '>=', limit: 0.7 },
        ),
        vs(
          { scenario: 'dm-throughput', metric: 'latency p50 under load', value: lat.p50, unit: 'ms' },
          { floor: serialMs(ctx.costs, DM_WORK) },
        ),
      ]
    } finally {
      await w.close()
    }
  },
}
