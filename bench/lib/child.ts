/**
 * @module A server in its own process (`bun src/cli.ts server`), so its memory can be read from
 * /proc/<pid>/status; it listens on 127.0.0.1, on a port the OS picks.
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const CLI = join(import.meta.dir, '..', '..', 'src', 'cli.ts')

export type ChildServer = { url: string; port: number; pid: number; stop(): Promise<void> }

/** CPU time (user + system) a process has used so far, in ms (Linux /proc, clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`)
}

/** CPU time this process's JavaScript thread has used so far, in ms: its work without its helpers'. */
export function jsThreadCpuMs(): number {
  return statCpuMs(`/proc/self/task/${process.pid}/stat`)
}

function statCpuMs(path: string): number {
  const stat = readFileSync(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
}

/** Starts the server and resolves once it logs the address it listens on. */
export async function startChildServer(
  db: string,
  timeoutMs = 20_000,
  extraArgs: readonly string[] = [],
): Promise<ChildServer> {
  const proc: Subprocess<'ignore', 'ignore', 'pipe'> = Bun.spawn(
    // The load generator registers its users from one address: lift the per-address budget.
    [
      process.execPath,
      // SERVER_PROF=<dir>: the server writes a CPU profile there when it exits (to find its hot spots).
      ...(process.env.SERVER_PROF ? ['--cpu-prof-md', `--cpu-prof-dir=${process.env.SERVER_PROF}`] : []),
      CLI,
      'server',
      '--bind',
      'ws://127.0.0.1:0',
      '--db',
      db,
      '--log-level',
      'info',
      '--register-burst',
      '1000000',
      ...extraArgs,
    ],
    { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' },
  )
  const decoder = new TextDecoder()
  let seen = ''
  let port = 0
  // The log is read to the end, so the child never blocks on a full pipe.
  const reader = (async () => {
    for await (const chunk of proc.stderr) {
      if (port) continue
      seen += decoder.decode(chunk, { stream: true })
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(seen)
      if (m) port = Number(m[1])
    }
  })()
  const t0 = performance.now()
  while (!port) {
    if (proc.exitCode !== null || performance.now() - t0 > timeoutMs) {
      proc.kill()
      throw new Error(`the server process did not start: ${seen.slice(-500)}`)
    }
    await Bun.sleep(20)
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM')
      const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5_000).then(() => false)])
      if (!exited) proc.kill('SIGKILL')
      await Promise.race([reader, Bun.sleep(1_000)])
    },
  }
}
