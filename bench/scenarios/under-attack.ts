/**
 * @module Scenario, under attack (issue 10): honest DM latency and throughput A → B across two
 * servers, idle and then while (a) strangers flood hellos they never prove, (b) a mesh member
 * replays its signed gossip, (c) one user floods unsigned FILE_CHUNKs to a user on B (each costs
 * both servers a signature). Target: p50 ≤ 3× idle, nothing lost.
 */

import { b64uEncode, encrypt } from '../../src/crypto/index.ts'
import { chunkFlood, gossipFlood, helloFlood, rawUser } from '../lib/attack.ts'
import { Arrivals, serialDms } from '../lib/dm.ts'
import { type Row, withTarget } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { LossError } from '../lib/wait.ts'
import { World } from '../lib/world.ts'

export const underAttack: Scenario = {
  id: 'under-attack',
  title: 'Honest DMs A → B while strangers, a rogue member and one user flood',
  timeoutMs: (quick) => (quick ? 90_000 : 240_000),
  async run(ctx) {
    const w = new World(ctx.serverKeys, ctx.userKeys)
    const stops: (() => void)[] = []
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
      const count = ctx.quick ? 30 : 120
      const run = async (tag: string) => {
        const t0 = performance.now()
        const lat = await serialDms(alice!, bob!, arrivals, { count, tag })
        const secs = (performance.now() - t0) / 1000
        if (lat.length !== count) throw new LossError(`${tag}: ${count} DMs sent, ${lat.length} delivered`)
        return { p50: summarize(lat).p50, perSec: count / secs }
      }
      await serialDms(alice!, bob!, arrivals, { count: 5, tag: 'warm-up' })
      const idle = await run('idle')
      const phases: [string, () => Promise<void>][] = [
        ['hello-flood', async () => void stops.push(await helloFlood(b!, ctx.serverKeys.at(-1)!, 100))],
        [
          'gossip-replay',
          async () => void stops.push(await gossipFlood(b!, ctx.serverKeys.at(-2)!, ctx.userKeys.at(-1)!)),
        ],
        [
          'chunk-flood',
          async () => {
            const carol = await rawUser(b!, 'carol', ctx.userKeys.at(-2)!)
            const mallory = await rawUser(a!, 'mallory', ctx.userKeys.at(-3)!)
            const ct = b64uEncode(encrypt(ctx.userKeys.at(-2)!.publicKey, new Uint8Array(446)))
            stops.push(
              chunkFlood(mallory, carol.id, ct),
              () => carol.raw.close(),
              () => mallory.raw.close(),
            )
          },
        ],
      ]
      const rows: Row[] = [
        { scenario: 'under-attack', metric: 'idle p50', value: idle.p50, unit: 'ms' },
        { scenario: 'under-attack', metric: 'idle DMs/s', value: idle.perSec, unit: '/s' },
      ]
      for (const [name, start] of phases) {
        await start()
        await Bun.sleep(500)
        const r = await run(name)
        for (const stop of stops.splice(0)) stop()
        rows.push(
          withTarget(
            {
              scenario: 'under-attack',
              metric: `${name} p50`,
              value: r.p50,
              unit: 'ms',
              note: `idle ${idle.p50.toFixed(1)} ms; ×${(r.p50 / idle.p50).toFixed(2)}`,
            },
            { on: 'value', op: '<=', limit: 3 * idle.p50 },
          ),
          { scenario: 'under-attack', metric: `${name} DMs/s`, value: r.perSec, unit: '/s' },
        )
        await Bun.sleep(300)
      }
      if (arrivals.duplicates > 0) throw new LossError(`${arrivals.duplicates} DMs delivered twice`)
      for (const s of [a!, b!]) if (s.ctx.peers.size !== 1) throw new LossError('the honest link broke')
      return rows
    } finally {
      for (const stop of stops) stop()
      await w.close()
    }
  },
}
