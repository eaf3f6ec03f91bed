/**
 * @module Issue 13, "nothing lost and [SENT] tells the truth": the README's script example across
 * two servers twenty times, a burst of 200 DMs and a 300 KB file each followed by end of input —
 * through the real CLI, real servers and real keys. Every one must arrive, and the script exits 0
 * only once the server acknowledged everything.
 */

import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SessionEvents } from '../../src/client/index.ts'
import { cliClient } from '../helpers/cli.ts'
import { testKey } from '../helpers/keys.ts'
import { mesh, tempDir, until } from '../helpers/servers.ts'
import { connectUser, PASSWORD } from '../helpers/users.ts'

/** Alice on server A, recording every DM and file she gets. */
async function alice(a: Parameters<typeof connectUser>[0]) {
  const s = await connectUser(a)
  await s.register('alice', PASSWORD, { keyPair: await testKey(0) })
  const dms: SessionEvents['dm'][] = []
  const files: SessionEvents['file'][] = []
  s.on('dm', (d) => dms.push(d))
  s.on('file', (f) => files.push(f))
  return { s, dms, files }
}

describe('scripted sends across servers', () => {
  test('the README example, 20 times: 20 of 20 arrive and every script exits 0', async () => {
    const [, a, b] = await mesh(2)
    const { s: al, dms } = await alice(a!)
    const errors: string[] = []
    al.on('error', (e) => errors.push(`${e.code} ${e.detail}`))
    const codes: number[] = []
    // Four at a time: each run generates its own RSA-4096 key, as a new user's would.
    for (let batch = 0; batch < 5; batch++) {
      const runs = [0, 1, 2, 3].map(async (j) => {
        const n = batch * 4 + j
        const c = cliClient(b!.url)
        c.send(`/register carol${n}`)
        c.send(`/tell alice hi from a script ${n}`)
        const code = await c.end()
        if (!c.lines().includes('[SENT] to alice'))
          throw new Error(`run ${n}: ${c.lines().join(' | ')} ${c.errors().join(' | ')}`)
        return code
      })
      codes.push(...(await Promise.all(runs)))
    }
    expect(codes).toEqual(Array(20).fill(0))
    await until(() => dms.length >= 20, 30_000, '20 DMs').catch((e) => {
      throw new Error(`${e}: got ${dms.map((d) => d.text).join(', ')}; errors ${errors.join(' | ')}`)
    })
    expect(new Set(dms.map((d) => d.text)).size).toBe(20)
  }, 240_000)

  test('a burst of 200 DMs then end of input: 200 of 200, exit 0', async () => {
    const [, a, b] = await mesh(2)
    const { dms } = await alice(a!)
    const c = cliClient(b!.url)
    c.send('/register dave')
    for (let i = 0; i < 200; i++) c.send(`/tell alice burst ${i}`)
    expect(await c.end()).toBe(0)
    expect(c.lines().filter((l) => l === '[SENT] to alice').length).toBe(200)
    await until(() => dms.length >= 200, 15_000, '200 DMs')
    // One conversation stays in order end to end.
    expect(dms.map((d) => d.text)).toEqual(Array.from({ length: 200 }, (_, i) => `burst ${i}`))
  }, 120_000)

  test('a 300 KB /file then end of input arrives intact', async () => {
    const [, a, b] = await mesh(2)
    const { files } = await alice(a!)
    const src = join(tempDir(), 'big.bin')
    const data = new Uint8Array(300 * 1024).map((_, i) => (i * 131 + 7) & 0xff)
    writeFileSync(src, data)
    const c = cliClient(b!.url)
    c.send('/register erin')
    c.send(`/file alice ${src}`)
    expect(await c.end()).toBe(0)
    expect(c.lines().some((l) => l.startsWith('[FILE] sent big.bin to alice'))).toBe(true)
    await until(() => files.length === 1, 30_000, 'the file')
    expect(new Uint8Array(readFileSync(files[0]!.path))).toEqual(data)
  }, 120_000)

  test('a refused DM makes the script exit non-zero and says why', async () => {
    const [, a, b] = await mesh(2)
    await alice(a!)
    const c = cliClient(b!.url)
    c.send('/register frank')
    c.send('/tell alice fine')
    c.send('/tell nobody_here hello')
    expect(await c.end()).toBe(1)
    expect(c.lines()).toContain('[SENT] to alice')
    expect(c.lines().some((l) => l.startsWith('[ERROR] USER_NOT_FOUND'))).toBe(true)
  }, 60_000)
})
