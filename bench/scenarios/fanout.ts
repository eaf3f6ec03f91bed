/**
 * @module Scenario 4, public-channel fan-out: one `/all` to 50 members spread over three servers;
 * the time until the last member has it, against the crypto floor of the whole fan-out.
 */

import { describeWork, floorMs, publicWork } from '../lib/bound.ts'
import { Arrivals } from '../lib/dm.ts'
import { vs } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { median } from '../lib/stats.ts'
import { LossError } from '../lib/wait.ts'
import { World } from '../lib/world.ts'

const FULL_MEMBERS = 50
/** --quick registers fewer members (each registration costs a scrypt and an argon2id). */
const QUICK_MEMBERS = 24
const SERVERS = 3
/** docs/wire.md §6: "the client sends at most 32 items per frame". */
const BATCH = 32

export const fanout: Scenario = {
  id: 'fanout',
  title: `/all to ${FULL_MEMBERS} members (${QUICK_MEMBERS} with --quick) over ${SERVERS} servers`,
  timeoutMs: (quick) => (quick ? 45_000 : 120_000),
  async run(ctx) {
    const reps = ctx.quick ? 3 : 9
    const count = ctx.quick ? QUICK_MEMBERS : FULL_MEMBERS
    const w = new World(ctx.serverKeys, ctx.userKeys)
    try {
      const servers = await w.mesh(SERVERS)
      const [sender, ...members] = await w.registerAll(
        Array.from({ length: count + 1 }, (_, i) => ({
          server: servers[i % SERVERS]!,
          name: i === 0 ? 'herald' : `member${i}`,
        })),
        6,
      )
      const arrivals = new Arrivals(members, 'public')
      const times: number[] = []
      const firsts: number[] = []
      for (let rep = -1; rep < reps; rep++) {
        const text = `all ${rep}`
        const waits = members.map((m) => arrivals.wait(`${m.name}|${text}`, 20_000))
        for (const p of waits) p.catch(() => {})
        const t0 = performance.now()
        const sent = await sender!.session.all(text)
        if (sent.recipients !== count)
          throw new LossError(`/all reached ${sent.recipients} members, expected ${count}`)
        let at: number[]
        try {
          at = await Promise.all(waits)
        } catch (e) {
          const got = members.filter((m) => arrivals.at.has(`${m.name}|${text}`)).length
          throw new LossError(`/all ${rep}: ${got} of ${count} members got it (${String(e)})`)
        }
        // rep −1 is a warm-up: key imports, first list().
        if (rep >= 0) {
          times.push(Math.max(...at) - t0)
          firsts.push(Math.min(...at) - t0)
        }
        await Bun.sleep(100)
      }
      if (arrivals.duplicates > 0) throw new LossError(`${arrivals.duplicates} public messages arrived twice`)
      const work = publicWork(count, SERVERS, BATCH)
      const floor = floorMs(ctx.costs, work.chain, work.total)
      return [
        vs(
          {
            scenario: 'fanout',
            metric: `last of ${count} members, median`,
            value: median(times),
            unit: 'ms',
            note: `${count < FULL_MEMBERS ? '--quick: fewer members; ' : ''}${reps} runs; floor = ${describeWork(work.total)} over all cores`,
          },
          { floor },
          { on: 'ratio', op: '<=', limit: 2 },
        ),
        vs(
          { scenario: 'fanout', metric: 'first member, median', value: median(firsts), unit: 'ms' },
          { floor },
        ),
      ]
    } finally {
      await w.close()
    }
  },
}
