/**
 * @module Private files at rest: the data folder 0700, the database and its -wal/-shm/-journal 0600.
 * SQLite's unix VFS creates -wal, -shm and -journal with the database file's own mode, so creating
 * the database file 0600 before SQLite does (and tightening files an older version left 0644)
 * covers the files it creates later too; test/security/at-rest.test.ts checks after a checkpoint.
 */

import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { logger } from '../log.ts'

const log = logger('store')
const SIDE_FILES = ['-wal', '-shm', '-journal']
/** What a socp data folder holds: databases, their side files and key files. */
const OURS = /\.(db|sqlite)(-wal|-shm|-journal|\.key|\.key\.new)?$/

/** Makes the folder of `path` (0700 when created) and the database file (0600) before SQLite opens it. */
export function preparePrivateFiles(path: string): void {
  const dir = dirname(path)
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 })
  else tightenFolder(dir)
  closeSync(openSync(path, 'a', 0o600))
  tightenFiles(path)
}

/** Sets 0600 on the database and whichever side files exist now (call again after WAL is on). */
export function tightenFiles(path: string): void {
  for (const f of [path, ...SIDE_FILES.map((s) => path + s)]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600)
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err
    }
  }
}

/**
 * An existing folder is tightened only when it holds nothing but socp files (the default ./data):
 * chmod on a folder the operator shares with other things (the current directory, /tmp) would be
 * a surprise, so that case is a warning instead.
 */
function tightenFolder(dir: string): void {
  const st = statSync(dir)
  if ((st.mode & 0o077) === 0) return
  const ours = readdirSync(dir).every((name) => OURS.test(name))
  if (ours && st.uid === process.getuid?.()) {
    chmodSync(dir, 0o700)
    log.info('data folder was open to other users: made it 0700', { dir })
  } else {
    log.warn('the database folder is open to other users; the database files are 0600', { dir })
  }
}
