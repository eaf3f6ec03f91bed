/** @module Reading a folder's relative-import graph and finding a cycle in it (for the architecture tests). */

import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** Relative imports of a file, type-only ones included (a type loop is still a concept loop). */
export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  )
  return specs.map((s) => resolve(dirname(file), s))
}

/** The first cycle found among `nodes` (depth-first), as a list of files, or null. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n]
    state.set(n, 'open')
    stack.push(n)
    for (const m of graph.get(n) ?? []) {
      const c = visit(m)
      if (c) return c
    }
    stack.pop()
    state.set(n, 'done')
    return null
  }
  for (const n of graph.keys()) {
    const c = visit(n)
    if (c) return c
  }
  return null
}

export function graphOf(dir: string): Map<string, string[]> {
  const inside = new Set(files(dir))
  return new Map([...inside].map((f) => [f, importsOf(f).filter((i) => inside.has(i))]))
}
