import { describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DecryptFailed } from '../../src/errors.ts'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

// Random bytes stand in for a PKCS#8 RSA key: the store never parses it.
const fakeKey = () => new Uint8Array(randomBytes(1218))

describe('identity', () => {
  test('a new store has no identity', () => {
    expect(open().identity.load()).toBeNull()
  })

  test('save then load round-trips and creates a 32-byte secret', () => {
    const s = open()
    const pkcs8 = fakeKey()
    s.identity.save({ serverId: 'srv-1', spki: 'spki-b64url', pkcs8 })
    const id = s.identity.load()
    expect(id?.serverId).toBe('srv-1')
    expect(id?.spki).toBe('spki-b64url')
    expect(id?.pkcs8).toEqual(pkcs8)
    expect(id?.secret.length).toBe(32)
  })

  test('the identity and secret survive a reopen with the key file, which is 0600', () => {
    const path = dbPath()
    const pkcs8 = fakeKey()
    const a = open(path)
    a.identity.save({ serverId: 'srv-1', spki: 'spki', pkcs8 })
    const secret = a.identity.load()?.secret
    a.close()
    const keyFile = `${path}.key`
    expect(readFileSync(keyFile).length).toBe(32)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    const b = open(path)
    expect(b.identity.load()).toEqual({ serverId: 'srv-1', spki: 'spki', pkcs8, secret: secret! })
  })

  test('saving a new key keeps the secret', () => {
    const s = open()
    s.identity.save({ serverId: 'a', spki: 'k1', pkcs8: fakeKey() })
    const first = s.identity.load()!
    const pkcs8 = fakeKey()
    s.identity.save({ serverId: 'a', spki: 'k2', pkcs8 })
    const second = s.identity.load()!
    expect(second.pkcs8).toEqual(pkcs8)
    expect(second.spki).toBe('k2')
    expect(second.secret).toEqual(first.secret)
  })

  test('setServerId replaces the id and needs a saved identity', () => {
    const s = open()
    expect(() => s.identity.setServerId('x')).toThrow()
    s.identity.save({ serverId: 'auto-1', spki: 'k', pkcs8: fakeKey() })
    s.identity.setServerId('assigned-7')
    expect(s.identity.load()?.serverId).toBe('assigned-7')
  })

  test('an explicit keyFile is used instead of the default', () => {
    const path = dbPath()
    const keyFile = join(path, '..', 'custom.key')
    open(path, { keyFile }).identity.save({ serverId: 's', spki: 'k', pkcs8: fakeKey() })
    expect(existsSync(keyFile)).toBe(true)
    expect(existsSync(`${path}.key`)).toBe(false)
  })

  test('a wrong key file gives DecryptFailed, not garbage', () => {
    const path = dbPath()
    const a = open(path)
    a.identity.save({ serverId: 's', spki: 'k', pkcs8: fakeKey() })
    a.close()
    writeFileSync(`${path}.key`, randomBytes(32), { mode: 0o600 })
    expect(() => open(path).identity.load()).toThrow(DecryptFailed)
  })

  test('a missing key file is refused rather than replaced when secrets are stored', () => {
    const path = dbPath()
    const keyFile = join(path, '..', 'k.key')
    const a = open(path, { keyFile })
    a.identity.save({ serverId: 's', spki: 'k', pkcs8: fakeKey() })
    a.close()
    expect(() => open(path)).toThrow(/key file .* is missing/)
    expect(existsSync(`${path}.key`)).toBe(false)
  })

  test('a key file of the wrong size is refused', () => {
    const path = dbPath()
    writeFileSync(`${path}.key`, randomBytes(16), { mode: 0o600 })
    expect(() => open(path)).toThrow(/32 bytes/)
  })

  test(':memory: keeps its key in memory and writes no key file', () => {
    const s = open(':memory:')
    const pkcs8 = fakeKey()
    s.identity.save({ serverId: 'm', spki: 'k', pkcs8 })
    expect(s.identity.load()?.pkcs8).toEqual(pkcs8)
    expect(existsSync(':memory:.key')).toBe(false)
  })
})
