/** @module The real `socp client` as a child process fed line by line; killed after each test. */

import { afterEach } from 'bun:test'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import { tempDir, until } from './servers.ts'

const CLI = resolve(import.meta.dir, '../../src/cli.ts')
const running = new Set<Subprocess>()
afterEach(() => {
  for (const p of running) p.kill()
  running.clear()
})

export type CliClient = {
  /** Sends one command line. */
  send(line: string): void
  /** Every stdout line so far. */
  lines(): string[]
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp, ms?: number): Promise<string>
  /** Closes stdin and resolves with the exit code. */
  end(): Promise<number>
  downloads: string
  /** The process, e.g. to SIGSTOP it as a frozen laptop would be. */
  proc: Subprocess
  /** Every stderr line so far. */
  errors(): string[]
}

/**
 * Starts `bun src/cli.ts client --server url` with a non-terminal stdin; `wrap` prefixes the
 * command (`ip netns exec NS` runs the client on another "host").
 */
export function cliClient(
  url: string,
  opts: { password?: string; args?: string[]; wrap?: string[]; dataDir?: string } = {},
): CliClient {
  const downloads = tempDir()
  const proc = Bun.spawn(
    [
      ...(opts.wrap ?? []),
      'bun',
      CLI,
      'client',
      '--server',
      url,
      '--downloads',
      downloads,
      '--data-dir',
      opts.dataDir ?? join(tempDir(), 'data'),
      ...(opts.args ?? []),
    ],
    {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      env: {
        ...process.env,
        SOCP_PASSWORD: opts.password ?? 'correct horse battery staple',
        SOCP_LOG: 'error',
      },
    },
  )
  running.add(proc)
  let out = ''
  let err = ''
  void (async () => {
    for await (const chunk of proc.stdout) out += Buffer.from(chunk).toString('utf8')
  })()
  void (async () => {
    for await (const chunk of proc.stderr) err += Buffer.from(chunk).toString('utf8')
  })()
  const lines = () => out.split('\n').filter((l) => l !== '')
  return {
    downloads,
    proc,
    errors: () => err.split('\n').filter((l) => l !== ''),
    send: (line) => {
      proc.stdin.write(`${line}\n`)
      proc.stdin.flush()
    },
    lines,
    waitFor: async (re, ms = 15_000) => {
      await until(
        () => lines().some((l) => re.test(l)),
        ms,
        `a line matching ${re} (got: ${JSON.stringify(lines())})`,
      )
      return lines().find((l) => re.test(l))!
    },
    end: async () => {
      proc.stdin.end()
      return proc.exited
    },
  }
}
