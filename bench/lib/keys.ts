/**
 * @module The benchmark's RSA-4096 key pool. Generation costs ≈ 0.6 s a key, so the pool is kept
 * in the OS temp folder between runs (throwaway keys, used by nothing but the benchmark), and
 * load-generator users share a few keys: registration with a given key generates nothing.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  b64uDecode,
  b64uEncode,
  generateKeyPair,
  importPrivateKey,
  type KeyPair,
} from '../../src/crypto/index.ts'

const CACHE = join(tmpdir(), 'socp-bench-keys.v1.json')

type CacheFile = { v: 1; pkcs8: string[] }

function readCache(): string[] {
  if (!existsSync(CACHE)) return []
  try {
    const c = JSON.parse(readFileSync(CACHE, 'utf8')) as CacheFile
    return c.v === 1 && Array.isArray(c.pkcs8) ? c.pkcs8 : []
  } catch {
    return []
  }
}

async function fromPkcs8(b64: string): Promise<KeyPair> {
  const pkcs8 = b64uDecode(b64)
  const privateKey = await importPrivateKey(pkcs8)
  return { privateKey, publicKey: privateKey.publicKey, pkcs8 }
}

/** What loading the pool cost, for the run's header. */
export type PoolInfo = { cached: number; generated: number; ms: number }

/**
 * `n` distinct keypairs: cached ones first, the rest generated concurrently (off the JS thread)
 * and appended to the cache. `fresh` ignores and rewrites the cache.
 */
export async function keyPool(n: number, fresh = false): Promise<{ keys: KeyPair[]; info: PoolInfo }> {
  const t0 = performance.now()
  const cached = fresh ? [] : readCache()
  const reuse = cached.slice(0, n)
  const loaded = await Promise.all(reuse.map(fromPkcs8))
  const made = await Promise.all(Array.from({ length: n - loaded.length }, () => generateKeyPair()))
  if (made.length > 0) {
    const all: CacheFile = { v: 1, pkcs8: [...cached, ...made.map((k) => b64uEncode(k.pkcs8))] }
    writeFileSync(CACHE, JSON.stringify(all), { mode: 0o600 })
  }
  return {
    keys: [...loaded, ...made],
    info: { cached: loaded.length, generated: made.length, ms: performance.now() - t0 },
  }
}
