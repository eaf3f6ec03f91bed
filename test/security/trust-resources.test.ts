/**
 * @module Issue 15 §3 and §4: resource bombs from a hostile home server. Thousands of fake users
 * in one list are pinned in one transaction into a bounded per-account store (0600 in a 0700
 * folder); a file costs its sender: chunk counts bounded by a minimum chunk size, a per-sender
 * budget, consent before any decryption for unverified senders, and decryption paced so a DM
 * sent behind a large file is shown first.
 */

import { describe, expect, test } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { dirname } from 'node:path'
import { AccountStores } from '../../src/client/account-store.ts'
import type { SessionEvents } from '../../src/client/events.ts'
import { Session, type SessionOptions } from '../../src/client/session.ts'
import { importPublicKey, type KeyPair } from '../../src/crypto/index.ts'
import { cliClient } from '../helpers/cli.ts'
import { testKey } from '../helpers/keys.ts'
import { tempDir, until } from '../helpers/servers.ts'
import { PASSWORD } from '../helpers/users.ts'
import { ATTACKER_KEY, dm, type Frame, fileFrames } from './_attack.ts'
import { hostileServer, type Listed } from './_hostile.ts'

const listing = (id: string, name: string, key: KeyPair, server = randomUUID()): Listed => ({
  user_id: id,
  username: name,
  server_id: server,
  pubkey: key.publicKey.spki,
})

describe('issue 15 §3: the client store is incremental, bounded and private', () => {
  test('4,000 fake users in one list: pinned in one transaction, pruned to the bound, file 0600', async () => {
    const keys = await Promise.all([1, 2, 3, 4].map((i) => testKey(i)))
    const bob = randomUUID()
    const fakes = Array.from({ length: 4_000 }, (_, i) => listing(randomUUID(), `fake${i}`, keys[i % 4]!))
    let others: Listed[] = [listing(bob, 'bob', keys[0]!)]
    const h = hostileServer({ others: () => others })
    const dataDir = tempDir()
    const opts: SessionOptions = { dataDir, storeLimits: { maxContacts: 1_000 } }
    const alice = await Session.connect(h.url, opts)
    await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
    await alice.tell('bob', 'hi') // bob was messaged: never pruned
    others = [listing(bob, 'bob', keys[0]!), ...fakes]
    const started = performance.now()
    expect((await alice.list()).length).toBe(4_002)
    const ms = performance.now() - started
    await alice.close()
    expect(ms).toBeLessThan(5_000) // was 9.4 s, rewriting a JSON file per new id

    const path = new AccountStores(dataDir, h.url).pathFor('alice')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700)
    const stores = new AccountStores(dataDir, h.url, { maxContacts: 1_000 })
    const store = stores.open('alice')
    expect(store.contactCount()).toBeLessThanOrEqual(1_000)
    expect(store.contact(bob)?.lastMessaged).not.toBeNull()
    expect(store.account()).toMatchObject({ username: 'alice', kdfMigrated: true })
    stores.close()
    // One file per account: another account on this server gets its own.
    expect(new AccountStores(dataDir, h.url).pathFor('carol')).not.toBe(path)
  }, 60_000)
})

/** A hostile server listing mallory, alice logged in on it; `push` sends frames as mallory's deliveries. */
async function fileScene(opts: SessionOptions = {}) {
  const mallory = { id: randomUUID(), key: await testKey(ATTACKER_KEY) }
  const h = hostileServer({ others: () => [listing(mallory.id, 'mallory', mallory.key)] })
  const alice = await Session.connect(h.url, { downloadsDir: tempDir(), ...opts })
  const me = await alice.register('alice', PASSWORD, { keyPair: await testKey(0) })
  const party = { id: me.userId, key: await testKey(0) }
  const events: { name: keyof SessionEvents; e: unknown }[] = []
  for (const name of ['file', 'file-failed', 'file-offer', 'file-progress', 'dm'] as const) {
    alice.on(name, (e) => events.push({ name, e }))
  }
  const push = (frames: Frame[]) => {
    for (const f of frames) h.push(me.userId, f as never)
  }
  const seen = (name: keyof SessionEvents) => events.filter((x) => x.name === name)
  return { h, alice, mallory, party, push, events, seen }
}

describe('issue 15 §4: file transfers cost the sender', () => {
  test('a manifest of one-byte chunks is refused before any decryption', async () => {
    const { alice, mallory, party, push, seen } = await fileScene()
    const frames = await fileFrames(mallory, party, randomBytes(40), { name: 'x', chunkBytes: 1 })
    push(frames)
    await until(() => seen('file-failed').length > 0, 5_000, 'refused')
    expect(seen('file-failed')[0]!.e).toMatchObject({ reason: 'implausible chunk count 40 for 40 bytes' })
    await alice.flush()
    expect(seen('file-progress')).toEqual([])
    await alice.close()
  })

  test('a short chunk before the last fails the transfer', async () => {
    const { alice, mallory, party, push, seen } = await fileScene()
    push(await fileFrames(mallory, party, randomBytes(900), { name: 'ok' }))
    await until(() => seen('file').length > 0, 5_000, 'a well-formed file is saved')
    // 600 bytes in 3 chunks is a plausible count, but its chunks hold 200, 200 and 200 bytes.
    push(await fileFrames(mallory, party, randomBytes(600), { name: 'y', chunkBytes: 200 }))
    await until(() => seen('file-failed').length > 0, 5_000, 'refused')
    expect(seen('file-failed')[0]!.e).toMatchObject({
      reason: 'chunk 0 holds 200 bytes, under the minimum 256',
    })
    await alice.close()
  })

  test('a per-sender budget: a third transfer at once is refused', async () => {
    const { alice, mallory, party, push, seen } = await fileScene()
    const starts = await Promise.all(
      [1, 2, 3].map(async (i) => (await fileFrames(mallory, party, randomBytes(900), { name: `f${i}` }))[0]!),
    )
    push(starts)
    await until(() => seen('file-failed').length > 0, 5_000, 'refused')
    expect(seen('file-failed').map((x) => x.e)).toEqual([
      expect.objectContaining({ reason: 'too many transfers from this sender at once' }),
    ])
    await alice.close()
  })

  test('consent: nothing is decrypted before /accept; a declined file is dropped', async () => {
    const { alice, mallory, party, push, seen } = await fileScene({ acceptFiles: 'ask' })
    const frames = await fileFrames(mallory, party, randomBytes(2_000), { name: 'offer.bin' })
    push(frames)
    await until(() => seen('file-offer').length > 0, 5_000, 'offered')
    const offer = seen('file-offer')[0]!.e as SessionEvents['file-offer']
    expect(offer).toMatchObject({ from: mallory.id, fromName: 'mallory', name: 'offer.bin', size: 2_000 })
    expect(offer.unverified).toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}$/)
    await Bun.sleep(300)
    expect(seen('file-progress')).toEqual([])
    alice.decideFile(offer.fileId, true)
    await until(() => seen('file').length > 0, 5_000, 'saved after consent')

    const again = await fileFrames(mallory, party, randomBytes(2_000), { name: 'no.bin' })
    push(again)
    await until(() => seen('file-offer').length > 1, 5_000, 'offered again')
    // The first characters of the id are enough, as for /cancel.
    const second = (seen('file-offer')[1]!.e as SessionEvents['file-offer']).fileId
    expect(alice.decideFile(second.slice(0, 8), false)).toEqual({ fileId: second, name: 'no.bin' })
    await until(() => seen('file-failed').length > 0, 5_000, 'declined')
    expect(seen('file-failed')[0]!.e).toMatchObject({ reason: 'declined' })
    expect(() => alice.decideFile(randomUUID(), true)).toThrow(/no single file .* is waiting/)
    expect(() => alice.decideFile(undefined, true)).toThrow(/no file is waiting/)
    await alice.close()
  })

  test('`verified` policy refuses files from unverified senders outright', async () => {
    const { alice, mallory, party, push, seen } = await fileScene({ acceptFiles: 'verified' })
    push(await fileFrames(mallory, party, randomBytes(1_000), { name: 'x' }))
    await until(() => seen('file-failed').length > 0, 5_000, 'refused')
    expect(seen('file-failed')[0]!.e).toMatchObject({ reason: expect.stringMatching(/only from verified/) })
    await alice.close()
  })

  test('decryption is paced: a DM sent behind a large file is shown before the file is saved', async () => {
    const { alice, mallory, party, push, events } = await fileScene()
    const frames = await fileFrames(mallory, party, randomBytes(446 * 150), { name: 'big' })
    const note = await dm(mallory, party, 'still responsive')
    const p = note.payload as { ciphertext: string; sender_pub: string; content_sig: string }
    const deliver = {
      type: 'USER_DELIVER',
      from: randomUUID(),
      to: party.id,
      ts: note.ts,
      payload: {
        ciphertext: p.ciphertext,
        sender: mallory.id,
        sender_pub: p.sender_pub,
        content_sig: p.content_sig,
      },
    }
    push([...frames.slice(0, -1), deliver as Frame, frames.at(-1)!])
    await until(() => events.some((x) => x.name === 'file'), 30_000, 'the file')
    const order = events.filter((x) => x.name === 'dm' || x.name === 'file').map((x) => x.name)
    expect(order).toEqual(['dm', 'file'])
    await alice.close()
  }, 60_000)

  test('the real CLI with --accept-files ask: an offer line, nothing saved until /accept', async () => {
    const mallory = { id: randomUUID(), key: await testKey(ATTACKER_KEY) }
    const h = hostileServer({ others: () => [listing(mallory.id, 'mallory', mallory.key)] })
    const cli = cliClient(h.url, { args: ['--accept-files', 'ask'] })
    cli.send('/register alice')
    const line = await cli.waitFor(/^\[LOGIN SUCCESS\] alice /)
    const account = [...h.accounts.values()][0]!
    expect(line).toContain(account.userId)
    // Only the public half is needed to encrypt to alice.
    const alice = { id: account.userId, key: { publicKey: importPublicKey(account.pubkey) } as KeyPair }
    const frames = await fileFrames(mallory, alice, randomBytes(1_500), { name: 'invoice.pdf' })
    for (const f of frames) h.push(account.userId, f as never)
    const offer = await cli.waitFor(/^\[FILE OFFER\] /)
    const fileId =
      /^\[FILE OFFER\] ([0-9a-f-]{36}) invoice\.pdf \(1500 bytes\) from mallory \[[0-9a-f:]{9}\]/.exec(
        offer,
      )?.[1]
    expect(fileId).toBeDefined()
    await Bun.sleep(300)
    expect(cli.lines().some((l) => l.startsWith('[FILE] saved'))).toBe(false)
    // Without an id, /accept takes the newest offer (the one just shown).
    expect(offer).toEndWith('not verified: /accept or /decline')
    cli.send('/accept')
    await cli.waitFor(new RegExp(`^accepted invoice\\.pdf \\(${fileId}\\)$`))
    await cli.waitFor(new RegExp(`^\\[FILE\\] saved .*received_${fileId}$`))
    expect(await cli.end()).toBe(0)
  }, 30_000)
})
