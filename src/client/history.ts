/**
 * @module The recent conversation, kept in the client store sealed under the history key (derived
 * from the password, src/crypto/keyblob.ts), so `/history` works after a restart and a copied store
 * file shows only whom and when, never what (docs/security.md).
 */

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { HistoryRepo } from '../store/client-history.ts'

/** One line of a conversation: `out` = we sent it to `peer`, `in` = `peer` sent it to us. */
export type HistoryEntry = { dir: 'in' | 'out'; peer: string; peerName: string; text: string; ts: number }

const BodySchema = z.object({ dir: z.enum(['in', 'out']), peerName: z.string(), text: z.string() })

/** The clear columns are bound to the sealed body, so a row cannot be moved to another peer or time. */
const aad = (peer: string, ts: number) => Buffer.from(`socp/v1/history|${peer}|${ts}`)

export class History {
  readonly #repo: HistoryRepo
  readonly #key: Uint8Array

  constructor(repo: HistoryRepo, key: Uint8Array) {
    this.#repo = repo
    this.#key = key
  }

  record(e: HistoryEntry): void {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(aad(e.peer, e.ts))
    const body = JSON.stringify({ dir: e.dir, peerName: e.peerName, text: e.text })
    const sealed = Buffer.concat([iv, c.update(body, 'utf8'), c.final(), c.getAuthTag()])
    this.#repo.add(e.peer, e.ts, sealed)
  }

  /** The newest `limit` entries, of one peer or of all, oldest first; rows that do not open are skipped. */
  recent(peer: string | null, limit = 20): HistoryEntry[] {
    return this.#repo.recent(peer, limit).flatMap((r) => {
      const body = this.#open(r.sealed, r.peer, r.ts)
      return body ? [{ ...body, peer: r.peer, ts: r.ts }] : []
    })
  }

  #open(sealed: Uint8Array, peer: string, ts: number): z.infer<typeof BodySchema> | null {
    try {
      const buf = Buffer.from(sealed)
      const d = createDecipheriv('aes-256-gcm', this.#key, buf.subarray(0, 12)).setAAD(aad(peer, ts))
      d.setAuthTag(buf.subarray(buf.length - 16))
      const text = Buffer.concat([d.update(buf.subarray(12, buf.length - 16)), d.final()]).toString('utf8')
      const body = BodySchema.safeParse(JSON.parse(text))
      return body.success ? body.data : null
    } catch {
      return null
    }
  }
}
