/**
 * @module Identity backups (`socp server --export-identity` / `--import-identity`): the server's
 * id, key pair and secret, sealed under the operator passphrase. There is no unencrypted export:
 * a plain copy of the identity key is exactly what the key file's protection exists to prevent.
 */

import { z } from 'zod'
import { DecryptFailed } from '../errors.ts'
import { passphraseOpen, passphraseSeal } from './_passphrase.ts'
import type { IdentityRepo, ServerIdentity } from './identity.ts'

const MAGIC = 'SOCPID01'
const AAD = 'socp/store/identity-export/v1'

const ExportSchema = z.object({
  v: z.literal(1),
  server_id: z.string().min(1),
  spki: z.string().min(1),
  pkcs8: z.base64(),
  secret: z.base64(),
})

/** The stored identity sealed under `passphrase`. @throws if the database has no identity yet. */
export function exportIdentity(repo: IdentityRepo, passphrase: string): Uint8Array {
  const id = repo.load()
  if (!id) throw new Error('this database has no server identity yet: start the server once first')
  const body = {
    v: 1,
    server_id: id.serverId,
    spki: id.spki,
    pkcs8: Buffer.from(id.pkcs8).toString('base64'),
    secret: Buffer.from(id.secret).toString('base64'),
  }
  return passphraseSeal(Buffer.from(JSON.stringify(body)), passphrase, MAGIC, AAD)
}

/** Restores an export into a database without an identity; returns the server id. */
export function importIdentity(repo: IdentityRepo, bytes: Uint8Array, passphrase: string): string {
  let plain: Uint8Array
  try {
    plain = passphraseOpen(bytes, passphrase, MAGIC, AAD)
  } catch (e) {
    if (e instanceof DecryptFailed)
      throw new Error('cannot open the identity backup: wrong passphrase, or not a socp identity export')
    throw e
  }
  const parsed = ExportSchema.safeParse(JSON.parse(Buffer.from(plain).toString('utf8')))
  if (!parsed.success) throw new Error('the identity backup is damaged')
  const id: ServerIdentity = {
    serverId: parsed.data.server_id,
    spki: parsed.data.spki,
    pkcs8: new Uint8Array(Buffer.from(parsed.data.pkcs8, 'base64')),
    secret: new Uint8Array(Buffer.from(parsed.data.secret, 'base64')),
  }
  repo.restore(id)
  return id.serverId
}
