/**
 * @module The executable `npm run build` makes runs its KDF threads: the worker script is an entry
 * point of the build and is found inside the executable, so a registration and a login (argon2id
 * on the server's KDF thread) work against the compiled server, not only against the sources.
 */

import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Session } from '../../src/client/session.ts'

const ROOT = resolve(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'socp-compiled-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The build script's arguments, with the output moved into the test's folder. */
function buildArgs(outfile: string): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }
  const args = pkg.scripts.build.split(/\s+/).slice(1)
  const i = args.indexOf('--outfile')
  args[i + 1] = outfile
  return args.filter((a) => a !== '--minify' && a !== '--sourcemap')
}

test('the compiled server registers and logs a user in (argon2id on its KDF thread)', async () => {
  const exe = join(dir, 'socp')
  const build = Bun.spawnSync([process.execPath, ...buildArgs(exe)], { cwd: ROOT, stderr: 'pipe' })
  expect(build.exitCode).toBe(0)
  const server = Bun.spawn([exe, 'server', '--bind', 'ws://127.0.0.1:0', '--db', join(dir, 's.db')], {
    cwd: dir,
    stdout: 'ignore',
    stderr: 'pipe',
  })
  try {
    let log = ''
    let url: string | undefined
    // The log (stderr) says where it listens.
    const reader = server.stderr.getReader()
    while (!url) {
      const { value, done } = await reader.read()
      if (done) break
      log += new TextDecoder().decode(value)
      url = /listening on (ws:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1]
    }
    expect(url).toBeDefined()
    const a = await Session.connect(url!, { downloadsDir: dir })
    const account = await a.register('compiled_user', 'a long enough password for the build 42')
    await a.close()
    const b = await Session.connect(url!, { downloadsDir: dir })
    expect((await b.login('compiled_user', 'a long enough password for the build 42')).userId).toBe(
      account.userId,
    )
    await b.close()
  } finally {
    server.kill()
    await server.exited
  }
}, 60_000)
