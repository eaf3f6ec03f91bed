/**
 * @module A login attacker in its own process (`bun bench/lib/hammer.ts URL CONNS SECONDS LOGIN`),
 * so its CPU is not the server's: CONNS sockets loop AUTH_HELLO → AUTH_RESPONSE with random auth
 * keys (no crypto on the attacker's side, as in issue 11). LOGIN `*` means a fresh unknown name per
 * try (a CPU flood); otherwise every try guesses that one account. Prints one JSON summary line:
 * answers by code and the times (ms since start) of AUTH_FAILED answers, i.e. checks the server ran.
 */

import { randomBytes } from 'node:crypto'

const [url = '', connsArg = '64', secondsArg = '10', login = '*'] = process.argv.slice(2)
const until = performance.now() + Number(secondsArg) * 1000
const counts: Record<string, number> = {}
const failedAt: number[] = []
let n = 0

type Reply = { type: string; payload: { code?: string } }

function open(): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    ws.onopen = () => resolve(ws)
    ws.onerror = () => resolve(null)
  })
}

/** The next frame, or null when the socket closes or nothing comes within `ms`. */
function next(ws: WebSocket, ms = 40_000): Promise<Reply | null> {
  return new Promise((resolve) => {
    const done = (r: Reply | null) => {
      clearTimeout(timer)
      ws.onmessage = null
      ws.onclose = null
      resolve(r)
    }
    const timer = setTimeout(() => done(null), ms)
    ws.onmessage = (e) => done(JSON.parse(String(e.data)) as Reply)
    ws.onclose = () => done(null)
  })
}

async function attacker(): Promise<void> {
  let ws = await open()
  while (ws && performance.now() < until) {
    const name = login === '*' ? `ghost_${process.pid}_${n++}` : login
    ws.send(
      JSON.stringify({ type: 'AUTH_HELLO', from: '', to: '', ts: Date.now(), payload: { login: name } }),
    )
    const challenge = await next(ws)
    const auth_key = randomBytes(32).toString('base64url')
    if (challenge?.type === 'AUTH_CHALLENGE')
      ws.send(
        JSON.stringify({ type: 'AUTH_RESPONSE', from: '', to: '', ts: Date.now(), payload: { auth_key } }),
      )
    const reply = challenge?.type === 'AUTH_CHALLENGE' ? await next(ws) : challenge
    const code = reply ? (reply.payload.code ?? reply.type) : 'closed'
    counts[code] = (counts[code] ?? 0) + 1
    if (code === 'AUTH_FAILED') failedAt.push(performance.now())
    // The server closes a link after five failures, or on anything odd: open another.
    if (code === 'closed' || code === 'AUTH_FAILED') {
      ws.close()
      ws = await open()
    }
  }
  ws?.close()
}

const t0 = performance.now()
await Promise.all(Array.from({ length: Number(connsArg) }, attacker))
process.stdout.write(`${JSON.stringify({ counts, failedAt: failedAt.map((t) => t - t0) })}\n`)
process.exit(0)
