/** @module The server's own identity (PROTOCOL.md §4): id, public key, wrapped private key and secret. */

import type { Database } from 'bun:sqlite'
import { randomBytes } from 'node:crypto'
import type { Sealer } from './_seal.ts'

/** What a server needs to act as itself; `secret` seeds e.g. the dummy login salts (wire.md §3). */
export interface ServerIdentity {
  serverId: string
  spki: string
  pkcs8: Uint8Array
  secret: Uint8Array
}

interface Row {
  server_id: string
  spki: string
  privkey_wrapped: Uint8Array
  secret_wrapped: Uint8Array
}

// AAD labels bind each blob to its slot, so a swapped column fails to open instead of being misread.
const AAD_PRIVKEY = 'socp/store/server_identity/privkey/v1'
const AAD_SECRET = 'socp/store/server_identity/secret/v1'
const SECRET_BYTES = 32

/** Builds the identity repository; its statements are prepared once here. */
export function identityRepo(db: Database, seal: Sealer) {
  const select = db.prepare<Row, []>(
    'SELECT server_id, spki, privkey_wrapped, secret_wrapped FROM server_identity WHERE id = 1',
  )
  const selectSecret = db.prepare<Pick<Row, 'secret_wrapped'>, []>(
    'SELECT secret_wrapped FROM server_identity WHERE id = 1',
  )
  const upsert = db.prepare<
    never,
    { serverId: string; spki: string; privkey: Uint8Array; secret: Uint8Array; now: number }
  >(
    `INSERT INTO server_identity (id, server_id, spki, privkey_wrapped, secret_wrapped, created_at)
     VALUES (1, $serverId, $spki, $privkey, $secret, $now)
     ON CONFLICT (id) DO UPDATE SET
       server_id = excluded.server_id, spki = excluded.spki, privkey_wrapped = excluded.privkey_wrapped`,
  )
  const updateId = db.prepare<never, [string]>('UPDATE server_identity SET server_id = ? WHERE id = 1')

  return {
    /** The stored identity, unwrapped; null on first start. Throws DecryptFailed with a wrong key file. */
    load(): ServerIdentity | null {
      const row = select.get()
      if (!row) return null
      return {
        serverId: row.server_id,
        spki: row.spki,
        pkcs8: seal.open(row.privkey_wrapped, AAD_PRIVKEY),
        secret: seal.open(row.secret_wrapped, AAD_SECRET),
      }
    },

    /**
     * Stores (or replaces) the server key. The 32-byte secret is created on the first save and
     * kept on later ones, so values derived from it stay stable across key changes.
     */
    save(id: { serverId: string; spki: string; pkcs8: Uint8Array }): void {
      db.transaction(() => {
        const secret = selectSecret.get()?.secret_wrapped ?? seal.seal(randomBytes(SECRET_BYTES), AAD_SECRET)
        upsert.run({
          serverId: id.serverId,
          spki: id.spki,
          privkey: seal.seal(id.pkcs8, AAD_PRIVKEY),
          secret,
          now: Date.now(),
        })
      })()
    },

    /** Stores a whole identity, secret included (a restored backup); refused if one exists. */
    restore(id: ServerIdentity): void {
      db.transaction(() => {
        if (select.get()) throw new Error('this database already has a server identity')
        upsert.run({
          serverId: id.serverId,
          spki: id.spki,
          privkey: seal.seal(id.pkcs8, AAD_PRIVKEY),
          secret: seal.seal(id.secret, AAD_SECRET),
          now: Date.now(),
        })
      })()
    },

    /** Replaces the server id, e.g. with the one an introducer assigned (PROTOCOL.md §4). */
    setServerId(serverId: string): void {
      if (updateId.run(serverId).changes !== 1) throw new Error('no server identity saved yet')
    },
  }
}

export type IdentityRepo = ReturnType<typeof identityRepo>
