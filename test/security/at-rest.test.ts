/**
 * @module Secrets at rest (issue 11, point 4): the data folder 0700 and every database file 0600,
 * also the -wal/-shm SQLite creates later; the identity key sealed under an operator passphrase;
 * identity export/import through the real CLI.
 */

import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { openStore } from '../../src/store/index.ts'
import { server, stop, tempDir } from '../helpers/servers.ts'
import { user } from '../helpers/users.ts'

const mode = (p: string) => statSync(p).mode & 0o777
const CLI = resolve(import.meta.dir, '../../src/cli.ts')

async function cli(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(['bun', CLI, 'server', ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, SOCP_KEY_PASSPHRASE: '', ...env },
  })
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ])
  return { out, err, code }
}

describe('file modes', () => {
  test('a new data folder is 0700 and every file in it 0600, after writes and a checkpoint', async () => {
    const dir = join(tempDir(), 'data')
    const s = await server({ db: join(dir, 'server.db') })
    const [alice] = await Promise.all([user(s, 'alice', 0), user(s, 'bob', 1)])
    await alice.tell('bob', 'written to the WAL')
    // A checkpoint from a second connection, as a backup tool would run it.
    const db = new Database(join(dir, 'server.db'))
    db.run('PRAGMA wal_checkpoint(TRUNCATE)')
    db.close()
    await stop(s)
    const again = await server({ db: join(dir, 'server.db') })
    await user(again, 'carol', 2)
    const files = readdirSync(dir)
    expect(files).toEqual(
      expect.arrayContaining(['server.db', 'server.db-wal', 'server.db-shm', 'server.db.key']),
    )
    expect(mode(dir)).toBe(0o700)
    for (const f of files) expect([f, mode(join(dir, f))]).toEqual([f, 0o600])
  })

  test('files an older version left 0644 in a 0755 folder are tightened on open', () => {
    const dir = join(tempDir(), 'data')
    mkdirSync(dir, { mode: 0o755 })
    chmodSync(dir, 0o755)
    const path = join(dir, 'old.db')
    // An older version's files: a live connection keeps -wal and -shm in place, all made 0644.
    const old = openStore(path)
    old.servers.all()
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644)
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['old.db-wal', 'old.db-shm']))
    const next = openStore(path)
    expect(mode(dir)).toBe(0o700)
    for (const f of readdirSync(dir)) expect([f, mode(join(dir, f))]).toEqual([f, 0o600])
    next.close()
    old.close()
  })

  test('a folder shared with other files is not chmodded, but the database files are', () => {
    const dir = tempDir()
    chmodSync(dir, 0o755)
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    openStore(join(dir, 'x.db')).close()
    expect(mode(dir)).toBe(0o755)
    expect(mode(join(dir, 'x.db'))).toBe(0o600)
  })
})

describe('identity key passphrase', () => {
  test('the key file is sealed under the passphrase; without it, or with a wrong one, nothing opens', async () => {
    const db = join(tempDir(), 'server.db')
    const s = await server({ db, keyPassphrase: 'operator secret one' })
    const id = s.serverId()
    await stop(s)
    const keyFile = readFileSync(`${db}.key`)
    expect(keyFile.subarray(0, 8).toString()).toBe('SOCPKEY1')
    expect(() => openStore(db)).toThrow(/protected by a passphrase: pass --key-passphrase-file/)
    expect(() => openStore(db, { keyPassphrase: 'wrong secret' })).toThrow(/wrong passphrase/)
    const back = await server({ db, keyPassphrase: 'operator secret one' })
    expect(back.serverId()).toBe(id)
  })

  test('a raw key file from before is sealed in place once a passphrase is given', async () => {
    const db = join(tempDir(), 'server.db')
    const s = await server({ db })
    const id = s.serverId()
    await stop(s)
    expect(readFileSync(`${db}.key`).length).toBe(32)
    const sealed = await server({ db, keyPassphrase: 'operator secret two' })
    expect(sealed.serverId()).toBe(id)
    await stop(sealed)
    expect(readFileSync(`${db}.key`).subarray(0, 8).toString()).toBe('SOCPKEY1')
    expect(existsSync(`${db}.key.new`)).toBe(false)
    expect(() => openStore(db)).toThrow(/protected by a passphrase/)
  })
})

describe('socp server --export-identity / --import-identity', () => {
  test('round trip through the real CLI; refused without a passphrase; the start log says what protects the key', async () => {
    const dir = tempDir()
    const db = join(dir, 'a.db')
    const s = await server({ db })
    const id = s.serverId()
    const spki = s.ctx.me.pubkey
    await stop(s)
    const backup = join(dir, 'backup.socpid')

    const refused = await cli(['--db', db, '--export-identity', backup])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('sealed under the key passphrase')
    expect(existsSync(backup)).toBe(false)

    const pass = join(dir, 'pass.txt')
    writeFileSync(pass, 'backup passphrase\n', { mode: 0o600 })
    const exported = await cli(['--db', db, '--key-passphrase-file', pass, '--export-identity', backup])
    expect([exported.code, exported.err]).toEqual([0, expect.any(String)])
    expect(mode(backup)).toBe(0o600)
    const bytes = readFileSync(backup)
    expect(bytes.subarray(0, 8).toString()).toBe('SOCPID01')
    expect(bytes.includes(Buffer.from(id))).toBe(false)
    // Never overwritten by a second export.
    expect((await cli(['--db', db, '--key-passphrase-file', pass, '--export-identity', backup])).code).toBe(1)

    const fresh = join(dir, 'restored', 'b.db')
    const wrong = await cli(['--db', fresh, '--import-identity', backup], {
      SOCP_KEY_PASSPHRASE: 'not the passphrase',
    })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('wrong passphrase')
    const restoredDir = join(dir, 'restored2')
    const imported = await cli(['--db', join(restoredDir, 'b.db'), '--import-identity', backup], {
      SOCP_KEY_PASSPHRASE: 'backup passphrase',
    })
    expect(imported.code).toBe(0)
    expect(imported.out).toContain(id)
    const restored = await server({ db: join(restoredDir, 'b.db'), keyPassphrase: 'backup passphrase' })
    expect(restored.serverId()).toBe(id)
    expect(restored.ctx.me.pubkey).toBe(spki)
    // A database that already has an identity is not overwritten.
    await stop(restored)
    const twice = await cli(['--db', join(restoredDir, 'b.db'), '--import-identity', backup], {
      SOCP_KEY_PASSPHRASE: 'backup passphrase',
    })
    expect(twice.code).toBe(1)
    expect(twice.err).toContain('already has a server identity')
  }, 60_000)

  test('the start log says plainly what protects the identity key', async () => {
    const dir = tempDir()
    const run = Bun.spawn(['bun', CLI, 'server', '--bind', 'ws://127.0.0.1:0', '--db', join(dir, 's.db')], {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, SOCP_KEY_PASSPHRASE: '' },
    })
    let err = ''
    const reader = (async () => {
      for await (const c of run.stderr) {
        err += Buffer.from(c).toString('utf8')
        if (err.includes('identity key:')) break
      }
    })()
    await Promise.race([reader, Bun.sleep(20_000)])
    run.kill()
    await run.exited
    expect(err).toContain('identity key: protected only by the permissions of')
    expect(err).toContain('--key-passphrase-file')
  }, 30_000)
})
