/**
 * @module Starts a user in a process of its own (bench/lib/remote-user.ts) and ends it: for timing a
 * server path without the user's own client work on the servers' JavaScript thread.
 */

import { join } from 'node:path'
import type { ServerHandle } from '../../src/server/index.ts'

export type RemoteUser = { userId: string; leave(): Promise<void> }

/** Registers `name` at `server` from a child process; resolves once it is logged in. */
export async function remoteUser(
  server: ServerHandle,
  name: string,
  keyIndex: number,
  dir: string,
): Promise<RemoteUser> {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, 'remote-user.ts'), server.url, name, String(keyIndex), dir],
    { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' },
  )
  const leave = async () => {
    child.stdin.end()
    await child.exited
  }
  let out = ''
  for await (const chunk of child.stdout) {
    out += new TextDecoder().decode(chunk)
    if (out.includes('\n')) break
  }
  const userId = out.trim()
  if (!/^[0-9a-f-]{36}$/.test(userId)) {
    child.kill()
    const err = await new Response(child.stderr).text()
    throw new Error(`${name} did not register in its own process: ${err.trim().slice(-300)}`)
  }
  return { userId, leave }
}
