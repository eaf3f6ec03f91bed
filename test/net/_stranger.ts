/**
 * @module A stranger's servers, run inside a test "host" (`bun test/net/_stranger.ts URL N`): N
 * fresh keys, each linking to URL under a fresh id with link authentication, as a hostile
 * operator's self-made servers would. Prints one JSON line, the outcome of each (`linked` once the
 * target answered with its hello, `refused` when it hung up first), then keeps the linked sockets
 * alive with heartbeats until killed.
 */

import { randomBytes } from 'node:crypto'
import { generateKeyPair, type KeyPair, signPayload } from '../../src/crypto/index.ts'
import { serverIdFor } from '../../src/server/keys.ts'

type Frame = { type: string; from: string; payload: Record<string, unknown> }

async function frame(key: KeyPair, type: string, from: string, to: string, payload: Record<string, unknown>) {
  return JSON.stringify({
    type,
    from,
    to,
    ts: Date.now(),
    payload,
    sig: await signPayload(key.privateKey, payload),
  })
}

function link(
  url: string,
  key: KeyPair,
): Promise<{ outcome: 'linked' | 'refused'; ws: WebSocket; id: string }> {
  // The id its key makes: a server new to a member must use it (docs/wire.md §10a).
  const id = serverIdFor(key.publicKey.spki)
  const ws = new WebSocket(url)
  return new Promise((resolve) => {
    ws.addEventListener('close', () => resolve({ outcome: 'refused', ws, id }))
    ws.addEventListener('error', () => resolve({ outcome: 'refused', ws, id }))
    ws.addEventListener('open', async () => {
      const hello = { host: '198.18.0.2', port: 9, pubkey: key.publicKey.spki, auth: 'v1' }
      ws.send(await frame(key, 'SERVER_HELLO_LINK', id, '*', hello))
    })
    ws.addEventListener('message', async (e) => {
      const f = JSON.parse(String(e.data)) as Frame
      if (f.type === 'SERVER_CHALLENGE') {
        const proof = {
          nonce: f.payload.nonce,
          server_id: id,
          peer_id: f.from,
          challenge: randomBytes(32).toString('base64url'),
        }
        ws.send(await frame(key, 'SERVER_PROOF', id, f.from, proof))
      }
      if (f.type === 'SERVER_HELLO_LINK') {
        const beat = await frame(key, 'HEARTBEAT', id, f.from, {})
        setInterval(() => ws.send(beat.replace(/"ts":\d+/, `"ts":${Date.now()}`)), 200)
        resolve({ outcome: 'linked', ws, id })
      }
    })
  })
}

const [url, n] = [process.argv[2]!, Number(process.argv[3] ?? 1)]
const keys = await Promise.all(Array.from({ length: n }, () => generateKeyPair()))
const outcomes: string[] = []
for (const k of keys) outcomes.push((await link(url, k)).outcome)
console.log(JSON.stringify(outcomes))
