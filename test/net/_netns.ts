/**
 * @module Throwaway "hosts" for the network tests: Linux network namespaces joined by one bridge,
 * addressed in 198.18.0.0/15 (the benchmarking range, RFC 2544) and nothing else. Every name
 * carries the test process id, so a run removes what it made, and the leftovers of a run that
 * died (its pid gone) by name.
 */

const NS_PREFIX = 'socpnet-'

export type Host = { ns: string; ip: string }
export type Net = { hosts: Host[]; destroy(): void }

function ip(args: string[], check = true): string {
  const r = Bun.spawnSync(['ip', ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (check && r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Why the suite cannot run here (not root, no `ip`, namespaces not allowed), or null. */
export function cannotRun(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)'
  if (!Bun.which('ip')) return 'needs ip (apt-get install -y iproute2)'
  if (!Bun.which('openssl')) return 'needs openssl'
  const probe = `${NS_PREFIX}${process.pid}-probe`
  const r = Bun.spawnSync(['ip', 'netns', 'add', probe], { stderr: 'pipe' })
  if (r.exitCode !== 0) return `cannot create network namespaces here: ${r.stderr.toString().trim()}`
  ip(['netns', 'del', probe], false)
  return null
}

/** Removes namespaces, bridges and veths of test runs whose process is gone. */
export function removeStale(): void {
  for (const line of ip(['netns', 'list'], false).split('\n')) {
    const m = new RegExp(`^(${NS_PREFIX}(\\d+)-\\S+)`).exec(line)
    if (m && !alive(Number(m[2]))) ip(['netns', 'del', m[1]!], false)
  }
  for (const line of ip(['-o', 'link', 'show'], false).split('\n')) {
    const m = /^\d+: (sn[bv](\d+)[^:@\s]*)/.exec(line)
    if (m && !alive(Number(m[2]))) ip(['link', 'del', m[1]!], false)
  }
}

/** `n` hosts 198.18.0.1 … 198.18.0.n on a private bridge; `destroy()` is idempotent. */
export function createNet(n: number): Net {
  removeStale()
  const pid = process.pid
  const bridge = `snb${pid}`
  const hosts: Host[] = []
  const made = { bridge: false, links: [] as string[], ns: [] as string[] }
  const destroy = () => {
    for (const ns of made.ns.splice(0)) ip(['netns', 'del', ns], false)
    for (const l of made.links.splice(0)) ip(['link', 'del', l], false)
    if (made.bridge) ip(['link', 'del', bridge], false)
    made.bridge = false
  }
  // Also on an abrupt exit of the test process (a failed assertion never skips this).
  process.once('exit', destroy)
  try {
    ip(['link', 'add', bridge, 'type', 'bridge'])
    made.bridge = true
    ip(['link', 'set', bridge, 'up'])
    for (let i = 1; i <= n; i++) {
      const ns = `${NS_PREFIX}${pid}-h${i}`
      const outer = `snv${pid}h${i}`
      const inner = `snp${pid}h${i}`
      const addr = `198.18.0.${i}`
      ip(['netns', 'add', ns])
      made.ns.push(ns)
      ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', ns])
      made.links.push(outer)
      ip(['link', 'set', outer, 'master', bridge, 'up'])
      ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', inner])
      ip(['-n', ns, 'link', 'set', inner, 'up'])
      ip(['-n', ns, 'link', 'set', 'lo', 'up'])
      hosts.push({ ns, ip: addr })
    }
  } catch (e) {
    destroy()
    throw e
  }
  return { hosts, destroy }
}
