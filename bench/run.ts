/**
 * @module `npm run bench [-- --quick] [--only id,id] [--fresh-keys]`: measures the machine's crypto
 * bound, runs every scenario against real servers and sessions on 127.0.0.1, prints one table and
 * writes the same figures to bench/results/<timestamp>.json. Exits 1 if any scenario lost a
 * message or a byte, or failed.
 */

import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { type Level, setLogLevel, setLogSink } from '../src/log.ts'
import { keyPool } from './lib/keys.ts'
import { type Row, table, writeJson } from './lib/report.ts'
import type { Ctx, Scenario } from './lib/scenario.ts'
import { within } from './lib/wait.ts'
import { cryptoDrift, measureCrypto, remeasureOneCore } from './scenarios/crypto.ts'
import { dmLatency } from './scenarios/dm-latency.ts'
import { dmThroughput } from './scenarios/dm-throughput.ts'
import { fanout } from './scenarios/fanout.ts'
import { fileTransfer } from './scenarios/file.ts'
import { loginFlood } from './scenarios/login-flood.ts'
import { loginScale } from './scenarios/login-scale.ts'
import { memory } from './scenarios/memory.ts'
import { meshScale } from './scenarios/mesh-scale.ts'
import { offline } from './scenarios/offline.ts'
import { underAttack } from './scenarios/under-attack.ts'

const SCENARIOS: Scenario[] = [
  dmLatency,
  dmThroughput,
  fanout,
  fileTransfer,
  offline,
  meshScale,
  memory,
  loginScale,
  loginFlood,
  underAttack,
]

const USAGE = `Usage: npm run bench [-- options]

  --quick            fewer users, shorter windows: under a minute
  --only ID,ID       run only these scenarios (the crypto bound is always measured):
                     ${SCENARIOS.map((s) => s.id).join(', ')}
  --fresh-keys       regenerate the cached key pool (OS temp folder)
  --log-level LEVEL  server and client log lines kept in the JSON (default error)
  -h, --help         this help
`

const SERVER_KEYS = 8
const USER_KEYS = 12

function gitCommit(): string {
  const r = Bun.spawnSync(['git', 'rev-parse', '--short', 'HEAD'], { cwd: import.meta.dir })
  const dirty = Bun.spawnSync(['git', 'status', '--porcelain', '--', 'src'], { cwd: import.meta.dir })
  return `${r.stdout.toString().trim()}${dirty.stdout.toString().trim() ? '+dirty(src)' : ''}`
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'fresh-keys': { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'error' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const quick = values.quick
  const only = values.only?.split(',').map((s) => s.trim())
  const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? []
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n\n${USAGE}`)
    return 2
  }
  const say = (msg: string) => process.stderr.write(`[bench] ${msg}\n`)
  // Server and client warnings are counted (and the first few kept) instead of flooding the table.
  const logs: string[] = []
  setLogLevel(values['log-level'] as Level)
  setLogSink((line) => logs.push(line))

  const startedAt = new Date()
  const t0 = performance.now()
  const { keys, info } = await keyPool(SERVER_KEYS + USER_KEYS, values['fresh-keys'])
  say(`key pool: ${info.cached} cached, ${info.generated} generated in ${(info.ms / 1000).toFixed(1)} s`)
  const load0 = loadavg()[0]!

  say('1 crypto bound')
  const { costs, rows: cryptoRows } = await measureCrypto(keys[0]!, quick)
  const ctx: Ctx = {
    quick,
    costs,
    serverKeys: keys.slice(0, SERVER_KEYS),
    userKeys: keys.slice(SERVER_KEYS),
    recalibrate: () => remeasureOneCore(keys[0]!, costs),
    say,
  }
  const rows: Row[] = [...cryptoRows]
  const results: { id: string; ok: boolean; seconds: number; error?: string; logLines: number }[] = []
  for (const [i, s] of SCENARIOS.entries()) {
    if (only && !only.includes(s.id)) continue
    say(`${i + 2} ${s.title}${quick ? ' (quick)' : ''}`)
    const started = performance.now()
    const before = logs.length
    try {
      rows.push(...(await within(s.run(ctx), s.timeoutMs(quick), s.id)))
      results.push({
        id: s.id,
        ok: true,
        seconds: (performance.now() - started) / 1000,
        logLines: logs.length - before,
      })
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
      say(`FAILED ${s.id}: ${error}`)
      results.push({
        id: s.id,
        ok: false,
        seconds: (performance.now() - started) / 1000,
        error,
        logLines: logs.length - before,
      })
    }
    for (const l of logs.slice(before, before + 5)) say(`  log: ${l}`)
  }

  rows.push(...(await cryptoDrift(keys[0]!, costs, quick)))
  const failed = results.filter((r) => !r.ok)
  const env = {
    bun: Bun.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: costs.cores,
    loadavg1: { start: load0, end: loadavg()[0]! },
    commit: gitCommit(),
    // How long Bun's allocator keeps freed memory before returning it to the OS (README,
    // Deployment): the KDFs' buffers are faulted back in on every hash when it is the default.
    purgeDelayMs: process.env.MIMALLOC_PURGE_DELAY ?? 'default',
    mode: quick ? 'quick' : 'full',
    seconds: (performance.now() - t0) / 1000,
  }
  process.stdout.write(`\n${table(rows)}\n\n`)
  for (const r of results)
    process.stdout.write(
      `${r.ok ? 'ok    ' : 'FAILED'} ${r.id} (${r.seconds.toFixed(1)} s)${r.error ? `: ${r.error}` : ''}\n`,
    )
  const path = writeJson(
    { startedAt: startedAt.toISOString(), env, costs, results, rows, logs: logs.slice(0, 200) },
    startedAt,
  )
  process.stdout.write(
    `\n${env.mode} run, ${env.seconds.toFixed(0)} s, bun ${env.bun}, ${env.cores} cores, MIMALLOC_PURGE_DELAY=${env.purgeDelayMs}, load ${env.loadavg1.start.toFixed(2)} → ${env.loadavg1.end.toFixed(2)}, ${env.commit}\nwrote ${path}\n`,
  )
  if (env.loadavg1.start > 0.5)
    process.stdout.write('note: the machine was busy before the run (load > 0.5): figures are noisy\n')
  return failed.length > 0 ? 1 : 0
}

process.exit(await main())
