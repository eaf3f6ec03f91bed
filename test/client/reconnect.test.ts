/**
 * @module Issue 13, "reconnects by itself": the server process is killed with SIGKILL and started
 * again on the same port and database; the interactive client says so, logs in again with the
 * identity it holds in memory (no password asked), keeps the half-typed line, and sends it.
 */

import { expect, test } from 'bun:test'
import { join, resolve } from 'node:path'
import { PassThrough } from 'node:stream'
import type { Subprocess } from 'bun'
import { runClient, Session } from '../../src/client/index.ts'
import { testKey } from '../helpers/keys.ts'
import { tempDir, until } from '../helpers/servers.ts'
import { PASSWORD } from '../helpers/users.ts'

const CLI = resolve(import.meta.dir, '../../src/cli.ts')
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g

/** A free loopback port (bound once, released). */
function freePort(): number {
  const l = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = l.port
  l.stop(true)
  return port
}

/** `socp server` as a child process, ready once /health answers. */
async function serverProcess(port: number, db: string): Promise<Subprocess> {
  const proc = Bun.spawn(['bun', CLI, 'server', '--bind', `ws://127.0.0.1:${port}`, '--db', db], {
    stdout: 'ignore',
    stderr: 'ignore',
    env: { ...process.env, SOCP_LOG: 'error' },
  })
  await until(
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/health`)).ok
      } catch {
        return false
      }
    },
    20_000,
    'the server process',
  )
  return proc
}

test('after kill -9 and a restart: it says so, logs in again, keeps the draft and sends it', async () => {
  const port = freePort()
  const db = join(tempDir(), 'server.db')
  let proc = await serverProcess(port, db)
  const url = `ws://127.0.0.1:${port}`
  try {
    const bob = await Session.connect(url, { downloadsDir: tempDir() })
    await bob.register('bob', PASSWORD, { keyPair: await testKey(1) })
    const alice = await Session.connect(url, { downloadsDir: tempDir() })
    await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
    await alice.close()

    const input = new PassThrough()
    const output = new PassThrough()
    let screen = ''
    output.on('data', (b: Buffer) => {
      screen += b.toString('utf8').replace(ANSI, '')
    })
    const waitFor = (re: RegExp, ms = 20_000) => until(() => re.test(screen), ms, `screen to show ${re}`)
    const exit = runClient({
      server: url,
      input,
      output,
      interactive: true,
      downloads: tempDir(),
      dataDir: join(tempDir(), 'data'),
    })
    await waitFor(/What would you like to do/)
    input.write('\r')
    await waitFor(/Username or user id/)
    input.write('alice\r')
    await waitFor(/Password/)
    input.write(`${PASSWORD}\r`)
    await waitFor(/\[LOGIN SUCCESS\] alice/, 30_000)

    input.write('/tell bob still here after the cr')
    await Bun.sleep(200)
    proc.kill(9)
    await proc.exited
    await waitFor(/Connection lost; reconnecting in/)
    proc = await serverProcess(port, db)
    await waitFor(/Reconnected/, 30_000)
    // Bob's session came back by itself too; the line alice had half typed is still there.
    await until(async () => (await bob.list().catch(() => [])).length === 2, 20_000, 'both back')
    const got = bob.next('dm', () => true, 15_000)
    input.write('ash\r')
    expect((await got).text).toBe('still here after the crash')
    input.write('/quit\r')
    expect(await exit).toBe(0)
    await bob.close()
  } finally {
    proc.kill(9)
  }
}, 120_000)
