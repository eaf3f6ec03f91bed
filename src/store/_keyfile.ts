/**
 * @module The key file beside the database (`<db>.key`): the 32-byte key that wraps the server's
 * identity key and secret. Stored raw (mode 0600: the file's permissions are all that protect it)
 * or, with an operator passphrase, sealed under it, so a copy of the folder alone is not the
 * server's identity (docs/security.md "At rest").
 */

import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs'
import { DecryptFailed } from '../errors.ts'
import { logger } from '../log.ts'
import { hasMagic, passphraseOpen, passphraseSeal } from './_passphrase.ts'
import { KEY_BYTES } from './_seal.ts'

const log = logger('store')
const MAGIC = 'SOCPKEY1'
const AAD = 'socp/store/keyfile/v1'

/** What protects the identity key: the key file's permissions, or the operator passphrase too. */
export type KeyProtection = 'passphrase' | 'key file' | 'memory'

/**
 * Reads the key at `path`, or creates it (mode 0600) when missing. With `passphrase`, a new file
 * is sealed under it and an old raw file is re-sealed in place. With `mustExist` a missing file is
 * an error: a new key would strand the data already wrapped under the old one.
 */
export function loadOrCreateKey(
  path: string,
  o: { mustExist: boolean; passphrase?: string | undefined },
): { key: Uint8Array; protection: KeyProtection } {
  let bytes: Uint8Array | null = null
  try {
    bytes = new Uint8Array(readFileSync(path))
    if ((statSync(path).mode & 0o077) !== 0) {
      log.warn('key file was readable by group or others: made it 0600', { path })
      chmodSync(path, 0o600)
    }
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err
  }
  if (bytes === null) {
    if (o.mustExist)
      throw new Error(`key file ${path} is missing but the database holds secrets wrapped under it`)
    const key = new Uint8Array(randomBytes(KEY_BYTES))
    // 'wx' fails if another process created the file first; then use theirs.
    if (!writeNew(path, o.passphrase ? passphraseSeal(key, o.passphrase, MAGIC, AAD) : key))
      return loadOrCreateKey(path, o)
    return { key, protection: o.passphrase ? 'passphrase' : 'key file' }
  }
  if (hasMagic(bytes, MAGIC)) {
    if (!o.passphrase)
      throw new Error(
        `key file ${path} is protected by a passphrase: pass --key-passphrase-file FILE or set SOCP_KEY_PASSPHRASE`,
      )
    try {
      return { key: passphraseOpen(bytes, o.passphrase, MAGIC, AAD), protection: 'passphrase' }
    } catch (e) {
      if (e instanceof DecryptFailed) throw new Error(`wrong passphrase for the key file ${path}`)
      throw e
    }
  }
  if (bytes.length !== KEY_BYTES) throw new Error(`key file ${path} must hold exactly 32 bytes`)
  if (!o.passphrase) return { key: bytes, protection: 'key file' }
  // A raw key and a passphrase: seal it now, replacing the raw file atomically.
  const tmp = `${path}.new`
  if (!writeNew(tmp, passphraseSeal(bytes, o.passphrase, MAGIC, AAD)))
    throw new Error(`${tmp} exists: another process is sealing the key file, or remove it`)
  renameSync(tmp, path)
  log.info('the key file is now sealed under the key passphrase', { path })
  return { key: bytes, protection: 'passphrase' }
}

/** Writes `bytes` to a new file with mode 0600; false if the file exists already. */
function writeNew(path: string, bytes: Uint8Array): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (err) {
    if (isCode(err, 'EEXIST')) return false
    throw err
  }
  try {
    writeSync(fd, bytes)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return true
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code
}
