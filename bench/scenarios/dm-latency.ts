/**
 * @module Scenario 2, DM latency: a user on server A sends to a user on server B, one DM at a
 * time; p50/p95/p99 of tell() → `dm` event, against the serial crypto floor of that path.
 */

import { addWork, DM_CLIENT_EXTRA, DM_WORK, describeWork, serialMs } from '../lib/bound.ts'
import { Arrivals, serialDms } from '../lib/dm.ts'
import { type Row, vs } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { LossError } from '../lib/wait.ts'
import { World } from '../lib/world.ts'

export const dmLatency: Scenario = {
  id: 'dm-latency',
  title: 'DM latency, A → B across two servers, one at a time',
  timeoutMs: (quick) => (quick ? 30_000 : 90_000),
  async run(ctx) {
    const w = new World(ctx.serverKeys, ctx.userKeys)
    try {
      const [a, b] = await w.mesh(2)
      const [alice, bob] = await w.registerAll(
        [
          { server: a!, name: 'alice', keyIndex: 0 },
          { server: b!, name: 'bob', keyIndex: 1 },
        ],
        2,
      )
      const arrivals = new Arrivals([bob!])
      const count = ctx.quick ? 40 : 300
      await serialDms(alice!, bob!, arrivals, { count: 5, tag: 'warm-up' })
      const lat = await serialDms(alice!, bob!, arrivals, { count, tag: 'dm' })
      if (lat.length !== count) throw new LossError(`${count} DMs sent, ${lat.length} delivered`)
      if (arrivals.duplicates > 0) throw new LossError(`${arrivals.duplicates} DMs delivered twice`)
      const s = summarize(lat)
      const floor = serialMs(ctx.costs, DM_WORK)
      const row = (metric: string, value: number, target?: boolean): Row =>
        vs(
          { scenario: 'dm-latency', metric, value, unit: 'ms' },
          { floor },
          target ? { on: 'ratio', op: '<=', limit: 1.5 } : undefined,
        )
      return [
        {
          ...row('p50', s.p50, true),
          note: `floor = ${describeWork(DM_WORK)}, serial (with the optional client sig: ${serialMs(ctx.costs, addWork(DM_WORK, DM_CLIENT_EXTRA)).toFixed(1)} ms); n = ${s.n}`,
        },
        row('p95', s.p95),
        row('p99', s.p99),
      ]
    } finally {
      await w.close()
    }
  },
}
