/**
 * @module The seed README's "Complete Test Workflow" through the real CLI, non-interactive:
 * servers in this process, each client a `bun src/cli.ts client` child fed one command a line.
 */

import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cliClient } from '../helpers/cli.ts'
import { mesh, type TestServer, tempDir } from '../helpers/servers.ts'

const ID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'

/** register, login, list from both sides, tell both ways, all, file: alice on `a`, bob on `b`. */
async function workflow(a: TestServer, b: TestServer): Promise<void> {
  const alice = cliClient(a.url)
  const bob = cliClient(b.url)
  alice.send('/register alice')
  bob.send('/register bob')
  await alice.waitFor(new RegExp(`^\\[REGISTERED\\] alice ${ID}$`))
  await bob.waitFor(new RegExp(`^\\[REGISTERED\\] bob ${ID}$`))
  alice.send('/login alice')
  bob.send('/login bob')
  await alice.waitFor(new RegExp(`^\\[LOGIN SUCCESS\\] alice ${ID}$`))
  await bob.waitFor(new RegExp(`^\\[LOGIN SUCCESS\\] bob ${ID}$`))

  alice.send('/list')
  bob.send('/list')
  await alice.waitFor(/^Online users: alice, bob$/)
  await bob.waitFor(/^Online users: alice, bob$/)

  alice.send('/tell bob Hello from across servers!')
  await bob.waitFor(/^DM from alice \[[0-9a-f:]{9}\]: Hello from across servers!$/)
  bob.send('/tell alice Hello back!')
  await alice.waitFor(/^DM from bob \[[0-9a-f:]{9}\]: Hello back!$/)

  alice.send('/all Testing public channel across mesh!')
  await bob.waitFor(/^\[Public\] alice \[[0-9a-f:]{9}\]: Testing public channel across mesh!$/)

  const src = join(tempDir(), 'test.txt')
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13) & 0xff))
  writeFileSync(src, data)
  alice.send(`/file bob ${src}`)
  const saved = await bob.waitFor(/^\[FILE\] saved /, 30_000)
  const path = saved.slice('[FILE] saved '.length)
  expect(path).toMatch(new RegExp(`/received_${ID}$`))
  expect(path.startsWith(bob.downloads)).toBe(true)
  expect(Buffer.compare(readFileSync(path), data)).toBe(0)

  expect(await alice.end()).toBe(0)
  expect(await bob.end()).toBe(0)
}

describe('socp client (non-interactive)', () => {
  test('two servers: the complete test workflow', async () => {
    const [intro, second] = await mesh(1)
    await workflow(intro!, second!)
  }, 90_000)

  test('three servers, users on the two non-introducer ones', async () => {
    const [, a, b] = await mesh(2)
    await workflow(a!, b!)
  }, 90_000)

  test('failures a user must see: duplicate name, wrong password, too long, offline user', async () => {
    const [s] = await mesh(0)
    const alice = cliClient(s!.url)
    alice.send('/register alice')
    await alice.waitFor(/^\[REGISTERED\] alice /)
    const dup = cliClient(s!.url)
    dup.send('/register alice')
    await dup.waitFor(/^\[ERROR\] NAME_IN_USE: /)
    expect(await dup.end()).toBe(1)

    const wrong = cliClient(s!.url, { password: 'not the password' })
    wrong.send('/login alice')
    await wrong.waitFor(/^\[ERROR\] AUTH_FAILED: invalid username or password$/)
    expect(await wrong.end()).toBe(1)

    alice.send(`/tell alice ${'x'.repeat(500)}`)
    await alice.waitFor(
      /^\[ERROR\] BAD_REQUEST: message too long: 500 bytes, at most 446 fit in one RSA-4096 block$/,
    )
    alice.send('/file carol /etc/hostname')
    await alice.waitFor(/^\[ERROR\] USER_NOT_FOUND: carol is not online$/)
    alice.send('/frobnicate')
    await alice.waitFor(/^\[ERROR\] BAD_REQUEST: unknown command \/frobnicate/)
    expect(await alice.end()).toBe(1)
  }, 90_000)

  test('--json prints one object per event; escape sequences arrive neutralised', async () => {
    const [s] = await mesh(0)
    const alice = cliClient(s!.url, { args: ['--json'] })
    const bob = cliClient(s!.url)
    alice.send('/register alice')
    bob.send('/register bob')
    await alice.waitFor(/"event":"registered"/)
    await bob.waitFor(/^\[REGISTERED\] bob /)
    alice.send('/tell bob \x1b[2J\x1b]0;pwned\x07hi \u202eevil')
    const line = await bob.waitFor(/^DM from alice /)
    expect(line).toMatch(/^DM from alice \[[0-9a-f:]{9}\]: hi evil$/)
    bob.send('/tell alice back')
    const json = JSON.parse(await alice.waitFor(/"event":"dm"/))
    expect(json).toMatchObject({ event: 'dm', fromName: 'bob', text: 'back' })
    for (const l of alice.lines()) expect(() => JSON.parse(l)).not.toThrow()
    expect(await alice.end()).toBe(0)
    expect(await bob.end()).toBe(0)
  }, 60_000)
})
