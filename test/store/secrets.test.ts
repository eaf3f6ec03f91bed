import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { useTempStores } from './_tmp.ts'

const { dbPath, open } = useTempStores()

/** Every form a leaked key could take in the file: raw bytes, base64, base64url and hex. */
function encodings(secret: Uint8Array): string[] {
  const b = Buffer.from(secret)
  return [b.toString('base64'), b.toString('base64url'), b.toString('hex')]
}

/**
 * Start offsets of fixed-size slices: a long value may be split across SQLite overflow pages,
 * so searching for the whole value alone could miss a leak. Slices are 24 bytes or 32 characters.
 */
function offsets(length: number, size: number): number[] {
  const out: number[] = []
  for (let i = 0; i + size <= length; i += size) out.push(i)
  return out
}

function leaks(hay: Buffer, secret: Uint8Array): boolean {
  const raw = Buffer.from(secret)
  if (offsets(raw.length, 24).some((i) => hay.includes(raw.subarray(i, i + 24)))) return true
  const text = hay.toString('latin1')
  return encodings(secret).some((e) => offsets(e.length, 32).some((i) => text.includes(e.slice(i, i + 32))))
}

function fileBytes(path: string): Buffer {
  const parts = [path, `${path}-wal`, `${path}-shm`].filter(existsSync).map((p) => readFileSync(p))
  return Buffer.concat(parts)
}

function everyColumnValue(path: string): Buffer[] {
  const db = new Database(path, { readonly: true })
  try {
    const tables = db
      .query<{ name: string }, []>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      )
      .all()
    const values: Buffer[] = []
    for (const { name } of tables) {
      for (const row of db.query<Record<string, unknown>, []>(`SELECT * FROM "${name}"`).all()) {
        for (const v of Object.values(row)) {
          if (v instanceof Uint8Array) values.push(Buffer.from(v))
          else if (v !== null) values.push(Buffer.from(String(v), 'latin1'))
        }
      }
    }
    return values
  } finally {
    db.close()
  }
}

describe('secrets at rest', () => {
  test('neither the file (with WAL) nor any column holds the private key or server secret', () => {
    const path = dbPath()
    const pkcs8 = new Uint8Array(randomBytes(2374))
    const s = open(path)
    s.identity.save({ serverId: 'srv', spki: 'spki', pkcs8 })
    const secret = s.identity.load()!.secret
    s.users.create({
      userId: 'u1',
      username: 'alice',
      pubkey: 'pub',
      privkeyStore: 'client-encrypted-blob',
      pakePassword: '$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA',
      kdf: { name: 'scrypt', salt: 'c2FsdA', N: 32768, r: 8, p: 1 },
      meta: null,
      homeServer: 'srv',
    })

    // While open the pages may sit only in the WAL; check there too, then after the checkpoint.
    expect(existsSync(`${path}-wal`)).toBe(true)
    for (const secretBytes of [pkcs8, secret]) expect(leaks(fileBytes(path), secretBytes)).toBe(false)
    s.close()
    for (const secretBytes of [pkcs8, secret]) {
      expect(leaks(fileBytes(path), secretBytes)).toBe(false)
      expect(everyColumnValue(path).some((v) => leaks(v, secretBytes))).toBe(false)
    }
  })

  test('the leak detector itself finds a planted key (guards against a vacuous pass)', () => {
    const path = dbPath()
    const pkcs8 = new Uint8Array(randomBytes(2374))
    const s = open(path)
    s.servers.pin({ serverId: 'x', host: 'h', port: 1, pubkey: Buffer.from(pkcs8).toString('base64url') })
    s.close()
    expect(leaks(fileBytes(path), pkcs8)).toBe(true)
    expect(everyColumnValue(path).some((v) => leaks(v, pkcs8))).toBe(true)
  })
})
