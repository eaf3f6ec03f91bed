/** @module A raw WebSocket test peer: send any text, await frames by type; closed after each test. */

import { afterEach } from 'bun:test'

/** A frame as it travels: the SOCP envelope, loosely typed for tests that forge or inspect it. */
export type Frame = {
  type: string
  from: string
  to: string
  ts: number
  payload: Record<string, unknown>
  sig?: string
}

export type RawPeer = {
  ws: WebSocket
  send(frame: unknown): void
  sendText(text: string): void
  /** The next frame (of `type`, if given) not yet taken; rejects after `ms`. */
  next(type?: string, ms?: number): Promise<Frame>
  /** Every frame received so far. */
  frames: Frame[]
  closed: Promise<{ code: number; reason: string }>
  close(): void
}

const open = new Set<RawPeer>()
afterEach(() => {
  for (const p of open) p.close()
  open.clear()
})

export async function connect(url: string): Promise<RawPeer> {
  const ws = new WebSocket(url)
  const frames: Frame[] = []
  let taken = 0
  const waiters: (() => void)[] = []
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  )
  ws.addEventListener('message', (e) => {
    try {
      frames.push(JSON.parse(String(e.data)) as Frame)
    } catch {
      return
    }
    for (const w of waiters.splice(0)) w()
  })
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve())
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)))
  })
  const seen = new Set<number>()
  const peer: RawPeer = {
    ws,
    frames,
    closed,
    send: (f) => ws.send(JSON.stringify(f)),
    sendText: (t) => ws.send(t),
    close: () => ws.close(),
    async next(type, ms = 5_000) {
      const end = Date.now() + ms
      for (;;) {
        for (let i = taken; i < frames.length; i++) {
          if (seen.has(i)) continue
          if (!type || frames[i]!.type === type) {
            seen.add(i)
            while (seen.has(taken)) taken++
            return frames[i]!
          }
        }
        const left = end - Date.now()
        if (left <= 0)
          throw new Error(
            `no ${type ?? 'frame'} within ${ms} ms (got ${frames.map((f) => f.type).join(', ')})`,
          )
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, left)
        })
      }
    },
  }
  open.add(peer)
  return peer
}
