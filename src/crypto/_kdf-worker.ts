/**
 * @module The body of a KDF thread (src/crypto/kdf-threads.ts): runs one scrypt or argon2id job at a
 * time, synchronously, on its own thread, and posts the result back.
 */

import { scryptSync } from 'node:crypto'
import type { KdfJob, KdfReply } from './kdf-threads.ts'

declare const self: Worker

function run(job: KdfJob): string | Uint8Array | boolean {
  switch (job.op) {
    case 'scrypt':
      return new Uint8Array(scryptSync(job.password, job.salt, job.length, job.params))
    case 'argon2-hash':
      return Bun.password.hashSync(job.password, { algorithm: 'argon2id', ...job.params })
    case 'argon2-verify':
      try {
        return Bun.password.verifySync(job.password, job.hash)
      } catch {
        return false
      }
  }
}

self.onmessage = (e: MessageEvent<{ id: number; job: KdfJob }>) => {
  const { id, job } = e.data
  let reply: KdfReply
  try {
    reply = { id, ok: true, value: run(job) }
  } catch (err) {
    reply = { id, ok: false, error: err instanceof Error ? err.message : String(err) }
  }
  self.postMessage(reply)
}
