/** @module The server's identity: created once, persisted, reused across restarts (PROTOCOL.md §4). */

import { generateKeyPair, importPrivateKey, type KeyPair, type PrivateKey } from '../crypto/index.ts'
import type { Store } from '../store/index.ts'
import { serverIdFor } from './keys.ts'

export type Identity = { serverId: string; key: PrivateKey; pubkey: string; secret: Uint8Array }

/**
 * Loads the stored identity or creates one. `--server-id auto` keeps a stored id; a fixed UUID
 * replaces it. A fresh server starts with the id its key makes (`serverIdFor`, docs/wire.md
 * §10a), never the literal "auto"; an introducer may still assign another one at join time.
 * `fresh` lets tests reuse a pre-generated key instead of paying for RSA-4096 generation per server.
 */
export async function loadIdentity(store: Store, wanted: string, fresh?: KeyPair): Promise<Identity> {
  let stored = store.identity.load()
  if (!stored) {
    const pair = fresh ?? (await generateKeyPair())
    store.identity.save({
      serverId: wanted === 'auto' ? serverIdFor(pair.publicKey.spki) : wanted,
      spki: pair.publicKey.spki,
      pkcs8: pair.pkcs8,
    })
    stored = store.identity.load()!
  } else if (wanted !== 'auto' && wanted !== stored.serverId) {
    store.identity.setServerId(wanted)
    stored = { ...stored, serverId: wanted }
  }
  const key = await importPrivateKey(stored.pkcs8)
  return { serverId: stored.serverId, key, pubkey: key.publicKey.spki, secret: stored.secret }
}
