/**
 * @module The offline queue (docs/wire.md §13): frames for a home user who is offline, kept as the
 * server would hand them over — still encrypted — until the next login or their expiry.
 */
import type { Database } from 'bun:sqlite'

/** One kept frame: its SOCP type to the user, the sender's original `ts`, the payload as JSON text. */
export interface QueuedFrame {
  seq: number
  recipient: string
  sender: string
  type: string
  ts: number
  payload: string
}

export type NewQueuedFrame = Omit<QueuedFrame, 'seq'> & { expiresAt: number }

interface Row {
  seq: number
  recipient: string
  sender: string
  type: string
  ts: number
  payload: string
}

/** Builds the queue repository; its statements are prepared once here. */
export function queueRepo(db: Database) {
  const insert = db.prepare<never, [string, string, string, number, string, number, number]>(
    `INSERT INTO offline_queue (recipient, sender, type, ts, payload, bytes, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const page = db.prepare<Row, [string, number, number]>(
    `SELECT seq, recipient, sender, type, ts, payload FROM offline_queue
     WHERE recipient = ? AND seq > ? ORDER BY seq LIMIT ?`,
  )
  const remove = db.prepare<never, [string, number]>(
    'DELETE FROM offline_queue WHERE recipient = ? AND seq <= ?',
  )
  const forRecipient = db.prepare<{ n: number; bytes: number | null }, [string]>(
    'SELECT count(*) AS n, sum(bytes) AS bytes FROM offline_queue WHERE recipient = ?',
  )
  const fromSender = db.prepare<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM offline_queue WHERE sender = ?',
  )
  const pair = db.prepare<{ n: number }, [string, string]>(
    'SELECT count(*) AS n FROM offline_queue WHERE recipient = ? AND sender = ?',
  )
  const expire = db.prepare<never, [number]>('DELETE FROM offline_queue WHERE expires_at < ?')
  const total = db.prepare<{ n: number }, []>('SELECT count(*) AS n FROM offline_queue')

  return {
    /** Keeps one frame; returns its sequence number. */
    put(f: NewQueuedFrame): number {
      const bytes = Buffer.byteLength(f.payload)
      const r = insert.run(f.recipient, f.sender, f.type, f.ts, f.payload, bytes, f.expiresAt)
      return Number(r.lastInsertRowid)
    },
    /** Frames from `sender` waiting for `recipient`. */
    between(sender: string, recipient: string): number {
      return pair.get(recipient, sender)?.n ?? 0
    },
    /** Up to `limit` frames for `recipient` after `afterSeq`, oldest first. */
    page(recipient: string, afterSeq: number, limit: number): QueuedFrame[] {
      return page.all(recipient, afterSeq, limit)
    },
    /** Forgets every frame of `recipient` up to and including `seq` (handed over). */
    delivered(recipient: string, seq: number): void {
      remove.run(recipient, seq)
    },
    /** Frames and payload bytes waiting for `recipient`. */
    usage(recipient: string): { frames: number; bytes: number } {
      const r = forRecipient.get(recipient)
      return { frames: r?.n ?? 0, bytes: r?.bytes ?? 0 }
    },
    /** Frames waiting that `sender` sent (to anyone here). */
    fromSender(sender: string): number {
      return fromSender.get(sender)?.n ?? 0
    },
    /** Drops what expired before `now`. */
    expire(now: number): void {
      expire.run(now)
    },
    size(): number {
      return total.get()?.n ?? 0
    },
  }
}

export type QueueRepo = ReturnType<typeof queueRepo>
