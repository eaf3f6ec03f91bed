/** @module Per-test temp directories holding real SQLite files, removed after each test. */
import { afterEach } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store, type StoreOptions } from '../../src/store/index.ts'

/**
 * Registers cleanup and returns helpers: `dbPath()` is a fresh file path, `open()` a store on it
 * that is closed automatically. Call once at the top level of a test file.
 */
export function useTempStores() {
  const dirs: string[] = []
  const stores = new Set<Store>()
  afterEach(() => {
    for (const s of stores) s.close()
    stores.clear()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  const dbPath = (name = 'server.db'): string => {
    const dir = mkdtempSync(join(tmpdir(), 'socp-store-'))
    dirs.push(dir)
    return join(dir, name)
  }
  const open = (path: string = dbPath(), opts?: StoreOptions): Store => {
    const s = openStore(path, opts)
    const close = s.close
    const tracked: Store = {
      ...s,
      close: () => {
        if (stores.delete(tracked)) close()
      },
    }
    stores.add(tracked)
    return tracked
  }
  return { dbPath, open }
}
