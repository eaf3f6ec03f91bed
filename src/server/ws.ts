/**
 * @module The listening socket: one Bun.serve port for users, servers and GET /health. Each
 * accepted WebSocket becomes a pending Link; its frames go to the socket edge (connection.ts).
 */

import type { ServerTls } from '../net/index.ts'
import type { ServerContext } from './context.ts'
import { healthReport } from './health.ts'
import { type Link, USER_RATE } from './link.ts'
import { loginDeadlines } from './users/login.ts'

type WsData = { link: Link | null }

/** Starts listening; returns the Bun server (its `port` is the real one when asked for 0). */
export function listen(
  ctx: ServerContext,
  host: string,
  port: number,
  maxConnections: number,
  tls: ServerTls | undefined,
) {
  return Bun.serve<WsData, never>({
    hostname: host,
    port,
    ...(tls && { tls }),
    fetch(req, server) {
      const url = new URL(req.url)
      if (url.pathname === '/health' && req.method === 'GET') return Response.json(healthReport(ctx))
      if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        if (ctx.peers.links.size >= maxConnections)
          return new Response('too many connections', { status: 503 })
        if (server.upgrade(req, { data: { link: null } satisfies WsData })) return undefined
        return new Response('upgrade failed', { status: 400 })
      }
      return new Response('socp server: connect with a WebSocket, or GET /health\n', { status: 426 })
    },
    websocket: {
      maxPayloadLength: 1024 * 1024,
      idleTimeout: 120,
      // A peer that stops reading cannot make us buffer without bound.
      backpressureLimit: 16 * 1024 * 1024,
      closeOnBackpressureLimit: true,
      open(ws) {
        const link = ctx.peers.open(
          'in',
          ws.remoteAddress,
          {
            send: (t) => void ws.send(t),
            close: (code, reason) => ws.close(code, reason),
            buffered: () => ws.getBufferedAmount(),
            pause: () => ws.pause(),
            resume: () => ws.resume(),
          },
          USER_RATE,
        )
        ws.data.link = link
        loginDeadlines(link, ctx.timing.helloTimeoutMs)
      },
      message(ws, msg) {
        if (ws.data.link) ctx.events.message(ws.data.link, msg)
      },
      close(ws) {
        if (ws.data.link) ctx.events.closed(ws.data.link)
      },
    },
  })
}
