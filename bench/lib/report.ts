/** @module Result rows: one table for the terminal, the same figures as JSON under bench/results/. */

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A goal, not an assertion: `ratio` compares value/bound, `value` compares the value itself. */
export type Target = { on: 'ratio' | 'value'; op: '>=' | '<='; limit: number }

export type Row = {
  scenario: string
  metric: string
  value: number
  unit: string
  /** The crypto floor (latency) or bound (throughput) of the same path, in `unit`. */
  bound?: number
  boundKind?: 'floor' | 'bound'
  /** value / bound. */
  ratio?: number
  target?: Target
  meets?: boolean
  note?: string
}

/** A row measured against its crypto floor or bound, with an optional target. */
export function vs(
  row: Omit<Row, 'ratio' | 'meets' | 'bound' | 'boundKind'>,
  bound: { floor: number } | { bound: number },
  target?: Target,
): Row {
  const b = 'floor' in bound ? bound.floor : bound.bound
  return withTarget(
    { ...row, bound: b, boundKind: 'floor' in bound ? 'floor' : 'bound', ratio: row.value / b },
    target,
  )
}

export function withTarget(row: Row, target?: Target): Row {
  if (!target) return row
  const x = target.on === 'ratio' ? row.ratio : row.value
  const meets = x === undefined ? undefined : target.op === '>=' ? x >= target.limit : x <= target.limit
  return { ...row, target, ...(meets === undefined ? {} : { meets }) }
}

export function fmt(x: number | undefined): string {
  if (x === undefined) return ''
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString('en-US')
  if (a >= 100) return x.toFixed(0)
  if (a >= 10) return x.toFixed(1)
  if (a >= 1) return x.toFixed(2)
  return x.toFixed(3)
}

function targetText(t: Target | undefined, unit: string): string {
  if (!t) return ''
  return t.on === 'ratio' ? `${t.op} ${t.limit.toFixed(2)}×` : `${t.op} ${fmt(t.limit)} ${unit}`
}

/** The table as text lines, one row per figure. */
export function table(rows: readonly Row[]): string {
  const head = ['scenario', 'metric', 'value', 'unit', 'floor/bound', 'ratio', 'target', '', 'note']
  const body = rows.map((r) => [
    r.scenario,
    r.metric,
    fmt(r.value),
    r.unit,
    r.bound === undefined ? '' : `${r.boundKind} ${fmt(r.bound)}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    targetText(r.target, r.unit),
    r.meets === undefined ? '' : r.meets ? 'ok' : 'SHORT',
    r.note ?? '',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const right = new Set([2, 4, 5])
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}

/** Writes the run to bench/results/<timestamp>.json and returns the path. */
export function writeJson(doc: unknown, startedAt: Date): string {
  const dir = join(import.meta.dir, '..', 'results')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`)
  return path
}
