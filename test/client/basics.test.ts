/**
 * @module Issue 13, the chat basics, driven through clack's injectable streams as a user would:
 * online users at login, help that fits the state, local times, your own messages echoed, plain
 * text and /msg to the current conversation, Ctrl-C clearing a half-typed line, /history, /logout.
 * And the sealed history store: it survives a restart and holds no plaintext.
 */

import { expect, test } from 'bun:test'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runClient, Session } from '../../src/client/index.ts'
import { testKey } from '../helpers/keys.ts'
import { server, tempDir, until } from '../helpers/servers.ts'
import { interactiveClient, registerOnScreen, terminal } from '../helpers/terminal.ts'
import { PASSWORD, user } from '../helpers/users.ts'

test('interactive basics: who is online, echo, times, plain text, /msg, Ctrl-C, /history, /logout', async () => {
  const s = await server()
  const bob = await user(s, 'bob', 1)
  const got: string[] = []
  bob.on('dm', (d) => got.push(d.text))
  const { t, exit } = interactiveClient(s.url)
  await registerOnScreen(t, 'carol', 'velvet-otter-harbor-91')
  // Who is online comes by itself right after login.
  await t.waitFor(/Online users: bob, carol/, 20_000)

  t.type('/help\r')
  await t.waitFor(/\/logout/)
  expect(t.screen()).not.toContain('/register [username]')

  t.type('/tell bob hi bob\r')
  await t.waitFor(/\d\d:\d\d you → bob: hi bob/)
  await bob.tell('carol', 'yo carol')
  await t.waitFor(/\d\d:\d\d bob \[[0-9a-f:]{9}\]: yo carol/)

  // Plain text goes to the current conversation; /msg is /tell.
  t.type('plain words\r')
  t.type('/msg bob via msg\r')
  await until(() => got.length === 3, 10_000, 'three DMs at bob')
  expect(got).toEqual(['hi bob', 'plain words', 'via msg'])

  // Tab completes a command and a name; Up recalls the last line.
  t.type('/te')
  await Bun.sleep(150)
  t.type('\t')
  await Bun.sleep(300)
  t.type('b')
  await Bun.sleep(150)
  t.type('\t')
  await Bun.sleep(300)
  t.type('tab done\r')
  await until(() => got.length === 4, 10_000, 'the completed line')
  t.type('\x1b[A')
  await Bun.sleep(300)
  t.type('\r')
  await until(() => got.length === 5, 10_000, 'the recalled line')
  expect(got.slice(3)).toEqual(['tab done', 'tab done'])

  // A file goes in the background: the prompt stays free, /transfers lists it, /cancel stops it.
  const big = join(tempDir(), 'big.bin')
  writeFileSync(big, new Uint8Array(400 * 1024))
  t.type(`/file bob ${big}\r`)
  await t.waitFor(/sending big\.bin to bob in the background/)
  t.type('/transfers\r')
  await t.waitFor(/[0-9a-f]{8} {2}big\.bin → bob {2}\d+\/\d+/)
  const id = /([0-9a-f]{8}) {2}big\.bin → bob/.exec(t.screen())![1]!
  t.type(`/cancel ${id}\r`)
  await t.waitFor(/cancelled big\.bin to bob/)
  const small = join(tempDir(), 'small.txt')
  writeFileSync(small, 'small and whole')
  const arrived = bob.next('file', (f) => f.name === 'small.txt', 20_000)
  t.type(`/file bob ${small}\r`)
  expect(readFileSync((await arrived).path, 'utf8')).toBe('small and whole')
  await t.waitFor(/\[FILE\] sent small\.txt to bob/)

  // Ctrl-C on a half-typed line clears it and does not quit.
  t.type('half typed')
  await Bun.sleep(150)
  t.type('\x03')
  await t.waitFor(/Line cleared/)
  t.type('/history bob\r')
  await t.waitFor(/you → bob: via msg/)
  expect(t.screen()).toMatch(/\d\d:\d\d bob: yo carol/)

  // /logout: back to the welcome menu; Quit there quits.
  const menus = () => (t.screen().match(/What would you like to do/g) ?? []).length
  const before = menus()
  t.type('/logout\r')
  await t.waitFor(/logged out of carol/)
  await until(() => menus() > before, 10_000, 'the menu again')
  await until(
    () =>
      !s.ctx.presence.local.has(
        bob.userId === null ? '' : ([...s.ctx.presence.local.keys()].find((k) => k !== bob.userId) ?? ''),
      ),
    5_000,
    'carol offline',
  )
  t.type('\x1b[B\x1b[B')
  await Bun.sleep(100)
  t.type('\r')
  expect(await exit).toBe(0)
}, 90_000)

test('history survives a restart of the client, sealed: the store file holds no plaintext', async () => {
  const s = await server()
  const bob = await user(s, 'bob', 1)
  const dataDir = tempDir()
  const alice = await Session.connect(s.url, { dataDir })
  await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
  await alice.tell('bob', 'the secret plans')
  const back = alice.next('dm')
  await bob.tell('alice', 'received the plans')
  await back
  await alice.close()

  const again = await Session.connect(s.url, { dataDir })
  await again.login('alice', PASSWORD)
  expect(again.history('bob').map((h) => [h.dir, h.peerName, h.text])).toEqual([
    ['out', 'bob', 'the secret plans'],
    ['in', 'bob', 'received the plans'],
  ])
  expect(again.history().length).toBe(2)
  await again.close()
  const folder = join(dataDir, readdirSync(dataDir)[0]!)
  for (const f of readdirSync(folder)) {
    const bytes = readFileSync(join(folder, f)).toString('latin1')
    expect(bytes).not.toContain('secret plans')
    expect(bytes).not.toContain('received the plans')
  }
}, 60_000)

test('a taken name asks again for the name only; a wrong password for the password only', async () => {
  const s = await server()
  await user(s, 'bob', 1)
  const { t, exit } = interactiveClient(s.url)
  await registerOnScreen(t, 'bob', 'velvet-otter-harbor-91')
  await t.waitFor(/That name is taken/, 20_000)
  await Bun.sleep(300)
  t.type('dave\r')
  // No password asked again, no new key pair: straight to the account.
  await t.waitFor(/\[REGISTERED\] dave/, 20_000)
  await t.waitFor(/Online users: bob, dave/)
  await Bun.sleep(200)

  t.type('/quit\r')
  expect(await exit).toBe(0)

  // A new client: a wrong password asks for the password again, not the name.
  const u = terminal()
  const again = runClient({
    server: s.url,
    input: u.input,
    output: u.output,
    interactive: true,
    downloads: tempDir(),
    dataDir: join(tempDir(), 'data'),
  })
  await u.waitFor(/What would you like to do/)
  u.type('\r')
  await u.waitFor(/Username or user id/)
  u.type('dave\r')
  await u.waitFor(/Password/)
  u.type('not-the-password-1\r')
  await u.waitFor(/Login failed/, 20_000)
  await Bun.sleep(300)
  u.type('velvet-otter-harbor-91\r')
  await u.waitFor(/\[LOGIN SUCCESS\] dave/, 20_000)
  u.type('/quit\r')
  expect(await again).toBe(0)
}, 90_000)
