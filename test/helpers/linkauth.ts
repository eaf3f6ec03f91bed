/**
 * @module A test server's side of link authentication (docs/wire.md §10): after its hello, answer the
 * acceptor's SERVER_CHALLENGE with a proof over (nonce, our id, its id) and our own nonce.
 */

import { randomBytes } from 'node:crypto'
import { type KeyPair, signPayload } from '../../src/crypto/index.ts'
import type { Frame } from './ws.ts'

type Peer = { send(frame: unknown): void; next(type?: string, ms?: number): Promise<Frame> }

/** The flag our hellos carry: "this dialer answers SERVER_CHALLENGE". */
export const AUTH = { auth: 'v1' } as const

/** Proves `key` as server `id` to the acceptor on `peer`; returns the acceptor's own SERVER_PROOF. */
export async function prove(peer: Peer, key: KeyPair, id: string): Promise<Frame> {
  const challenge = await peer.next('SERVER_CHALLENGE')
  const payload = {
    nonce: challenge.payload.nonce as string,
    server_id: id,
    peer_id: challenge.from,
    challenge: randomBytes(32).toString('base64url'),
  }
  peer.send({
    type: 'SERVER_PROOF',
    from: id,
    to: challenge.from,
    ts: Date.now(),
    payload,
    sig: await signPayload(key.privateKey, payload),
  })
  return peer.next('SERVER_PROOF')
}
