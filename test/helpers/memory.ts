/**
 * @module An in-memory transport pair: one end is a server Link, the other a test peer that sends
 * and receives frames. For mesh handler tests where a socket adds nothing (STYLE.md §4).
 */

import type { ServerHandle } from '../../src/server/index.ts'
import { type Link, SERVER_RATE, type Transport, USER_RATE } from '../../src/server/link.ts'
import type { Frame } from './ws.ts'

export type MemoryPeer = {
  /** The server's side of the pair. */
  link: Link
  /** Every frame the server sent on this link, in order. */
  frames: Frame[]
  /** Delivers a frame to the server as if it arrived on a socket. */
  send(frame: unknown): void
  /** The next frame not yet taken (of `type`, if given); rejects after `ms`. */
  next(type?: string, ms?: number): Promise<Frame>
  /** How the server closed the link, once it did. */
  closed: { code: number; reason: string } | null
  /** The peer hangs up. */
  close(): void
}

/**
 * A link into `server` with no socket: `direction` 'in' is a connection the server accepted, 'out'
 * one it dialed (then give `target`, as the dialer would).
 */
export function memoryPeer(
  server: ServerHandle,
  o: { direction?: 'in' | 'out'; target?: { host: string; port: number; expect: string | null } } = {},
): MemoryPeer {
  const { ctx } = server
  const frames: Frame[] = []
  const wake = new Set<() => void>()
  const taken = new Set<number>()
  const hangUp = () =>
    queueMicrotask(() => {
      if (ctx.peers.links.has(peer.link)) ctx.events.closed(peer.link)
    })
  const transport: Transport = {
    send(text) {
      frames.push(JSON.parse(text) as Frame)
      for (const w of wake) w()
    },
    close(code, reason) {
      peer.closed = { code, reason }
      hangUp()
    },
    buffered: () => 0,
  }
  const direction = o.direction ?? 'in'
  const link = ctx.peers.open(direction, 'memory', transport, direction === 'out' ? SERVER_RATE : USER_RATE)
  if (o.target) link.becomeServer(o.target)
  const peer: MemoryPeer = {
    link,
    frames,
    closed: null,
    send: (f) => ctx.events.message(link, JSON.stringify(f)),
    close: () => {
      link.closed = true
      hangUp()
    },
    async next(type, ms = 5_000) {
      const end = Date.now() + ms
      for (;;) {
        const i = frames.findIndex((f, k) => !taken.has(k) && (!type || f.type === type))
        if (i >= 0) {
          taken.add(i)
          return frames[i]!
        }
        const left = end - Date.now()
        if (left <= 0) throw new Error(`no ${type ?? 'frame'} within ${ms} ms`)
        await new Promise<void>((r) => {
          wake.add(r)
          setTimeout(r, left)
        }).finally(() => wake.clear())
      }
    },
  }
  return peer
}
