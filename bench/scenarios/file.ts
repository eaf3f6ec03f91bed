/**
 * @module Scenario 5, file transfer: a file between users on two servers (1 MiB; 128 KiB with
 * --quick), KiB/s against the crypto bound of its chunks; then the same transfer again while two
 * other users exchange DMs one at a time, to measure how much a transfer delays others' DMs.
 */

import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { OAEP_MAX_PLAINTEXT } from '../../src/crypto/index.ts'
import { addWork, CHUNK_WORK, describeWork, FILE_ENDS_WORK, parallelMs, scaleWork } from '../lib/bound.ts'
import { Arrivals, serialDms } from '../lib/dm.ts'
import { vs, withTarget } from '../lib/report.ts'
import type { Scenario } from '../lib/scenario.ts'
import { summarize } from '../lib/stats.ts'
import { LossError } from '../lib/wait.ts'
import { type User, World } from '../lib/world.ts'

async function transfer(from: User, to: User, path: string, data: Uint8Array, ms: number): Promise<number> {
  const t0 = performance.now()
  const got = to.session.next('file', (f) => f.from === from.userId, ms)
  got.catch(() => {})
  const failed = to.session.next('file-failed', () => true, ms)
  failed.catch(() => {})
  await from.session.sendFile(to.userId, path)
  const f = await Promise.race([
    got,
    failed.then((e) => {
      throw new LossError(`the transfer failed at the recipient: ${e.reason}`)
    }),
  ])
  const elapsed = performance.now() - t0
  const saved = await Bun.file(f.path).bytes()
  if (f.size !== data.byteLength || Buffer.compare(saved, data) !== 0)
    throw new LossError(`the received file differs (${saved.byteLength} of ${data.byteLength} bytes)`)
  return elapsed
}

export const fileTransfer: Scenario = {
  id: 'file',
  title: 'file transfer A → B, and its effect on other users’ DMs',
  timeoutMs: (quick) => (quick ? 60_000 : 240_000),
  async run(ctx) {
    const size = ctx.quick ? 128 * 1024 : 1024 * 1024
    const w = new World(ctx.serverKeys, ctx.userKeys)
    try {
      const [a, b] = await w.mesh(2)
      const [sender, recipient, probeFrom, probeTo] = await w.registerAll(
        [
          { server: a!, name: 'filer' },
          { server: b!, name: 'keeper' },
          { server: a!, name: 'chatter' },
          { server: b!, name: 'listener' },
        ],
        4,
      )
      const data = new Uint8Array(randomBytes(size))
      const path = join(w.dir, 'payload.bin')
      await Bun.write(path, data)
      const limit = ctx.quick ? 50_000 : 200_000

      // 1: the transfer alone.
      const alone = await transfer(sender!, recipient!, path, data, limit)

      // 2: DM latency between two other users, first on an idle mesh, then during a transfer.
      const arrivals = new Arrivals([probeTo!])
      await serialDms(probeFrom!, probeTo!, arrivals, { count: 3, tag: 'warm-up' })
      const probes = ctx.quick ? 15 : 40
      const idle = await serialDms(probeFrom!, probeTo!, arrivals, { count: probes, tag: 'idle', gapMs: 50 })
      let done = false
      const during = serialDms(probeFrom!, probeTo!, arrivals, {
        count: 10_000,
        tag: 'busy',
        gapMs: 50,
        stop: () => done,
      })
      const loaded = await transfer(sender!, recipient!, path, data, limit).finally(() => {
        done = true
      })
      const busy = await during
      if (busy.length < 3) throw new LossError(`only ${busy.length} DMs completed during the transfer`)

      const chunks = Math.ceil(size / OAEP_MAX_PLAINTEXT)
      const work = addWork(scaleWork(CHUNK_WORK, chunks), FILE_ENDS_WORK)
      const boundKiBs = size / 1024 / (parallelMs(ctx.costs, work) / 1000)
      const kib = (ms: number) => size / 1024 / (ms / 1000)
      const i = summarize(idle)
      const d = summarize(busy)
      const added = { on: 'value', op: '<=', limit: 50 } as const
      return [
        vs(
          {
            scenario: 'file',
            metric: `${size / 1024} KiB, alone`,
            value: kib(alone),
            unit: 'KiB/s',
            note: `${(alone / 1000).toFixed(1)} s, ${chunks} chunks; bound = ${describeWork(CHUNK_WORK)} per chunk, all cores`,
          },
          { bound: boundKiBs },
          { on: 'ratio', op: '>=', limit: 0.6 },
        ),
        vs(
          {
            scenario: 'file',
            metric: `${size / 1024} KiB, with DM probes`,
            value: kib(loaded),
            unit: 'KiB/s',
          },
          { bound: boundKiBs },
        ),
        { scenario: 'file', metric: 'others’ DM p50, idle', value: i.p50, unit: 'ms', note: `n = ${i.n}` },
        {
          scenario: 'file',
          metric: 'others’ DM p50, during transfer',
          value: d.p50,
          unit: 'ms',
          note: `n = ${d.n}, p95 ${d.p95.toFixed(0)} ms, max ${d.max.toFixed(0)} ms`,
        },
        withTarget(
          { scenario: 'file', metric: 'delay a transfer adds, p50', value: d.p50 - i.p50, unit: 'ms' },
          added,
        ),
        { scenario: 'file', metric: 'delay a transfer adds, p95', value: d.p95 - i.p95, unit: 'ms' },
      ]
    } finally {
      await w.close()
    }
  },
}
