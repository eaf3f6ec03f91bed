/**
 * @module The client's end of a user link: one WebSocket, frames decoded once at the edge
 * (src/protocol), waiters for request/answer exchanges, and send pacing via `bufferedAmount`.
 */

import { ChatError, ERROR_CODES, type ErrorCode } from '../errors.ts'
import { logger } from '../log.ts'
import { type ClientTls, openWebSocket } from '../net/index.ts'
import {
  type ClientFrame,
  type ClientFrameType,
  decode,
  encode,
  type ServerToClientFrame,
} from '../protocol/index.ts'

const log = logger('client')

type Waiter = {
  match: (f: ServerToClientFrame) => boolean
  resolve: (f: ServerToClientFrame) => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
}

type FrameOf<T extends ServerToClientFrame['type']> = Extract<ServerToClientFrame, { type: T }>

/** A type guard for one frame type, for `expect`. */
export const is =
  <T extends ServerToClientFrame['type']>(type: T) =>
  (f: ServerToClientFrame): f is FrameOf<T> =>
    f.type === type

/** Stop queuing frames above this many unsent bytes; resume once the socket drains below it. */
const HIGH_WATER = 256 * 1024

export class ClientLink {
  readonly #ws: WebSocket
  readonly #waiters = new Set<Waiter>()
  #onFrame: (f: ServerToClientFrame) => void = () => {}
  #onClose: (code: number, reason: string) => void = () => {}
  #closed = false
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(ws: WebSocket) {
    this.#ws = ws
    this.closed = new Promise((resolve) => {
      ws.addEventListener('close', (ev) => {
        this.#closed = true
        for (const w of this.#waiters) this.#settle(w, () => w.reject(closedError(ev.code)))
        this.#onClose(ev.code, ev.reason)
        resolve({ code: ev.code, reason: ev.reason })
      })
    })
    ws.addEventListener('message', (ev) => this.#receive(ev.data))
  }

  /**
   * Opens a WebSocket to `url` (`tls`: what a wss:// server's certificate is checked against).
   * @throws ChatError('TIMEOUT') if it does not open in time or is refused (the reason included,
   * e.g. a certificate that does not verify).
   */
  static open(url: string, timeoutMs = 10_000, tls?: ClientTls): Promise<ClientLink> {
    return new Promise((resolve, reject) => {
      const ws = openWebSocket(url, tls)
      const timer = setTimeout(() => {
        ws.close()
        reject(new ChatError('TIMEOUT', `could not connect to ${url}`))
      }, timeoutMs)
      ws.addEventListener('open', () => {
        clearTimeout(timer)
        resolve(new ClientLink(ws))
      })
      ws.addEventListener('error', (ev) => {
        clearTimeout(timer)
        const why = ev instanceof ErrorEvent && ev.message ? `: ${ev.message}` : ''
        reject(new ChatError('TIMEOUT', `could not connect to ${url}${why}`))
      })
    })
  }

  get isOpen(): boolean {
    return !this.#closed && this.#ws.readyState === WebSocket.OPEN
  }

  /** Where frames no waiter claims go (the session's dispatch table). */
  onFrame(fn: (f: ServerToClientFrame) => void): void {
    this.#onFrame = fn
  }

  onClose(fn: (code: number, reason: string) => void): void {
    this.#onClose = fn
  }

  /** Sends one frame. @throws ChatError when the socket is closed. */
  send<K extends ClientFrameType>(frame: ClientFrame<K>): void {
    if (!this.isOpen) throw closedError()
    this.#ws.send(encode(frame))
  }

  /** Resolves once fewer than `below` bytes wait in the send buffer (0 = everything was sent). */
  async drain(below = HIGH_WATER): Promise<void> {
    while (this.isOpen && this.#ws.bufferedAmount > below) await Bun.sleep(2)
    if (!this.isOpen) throw closedError()
  }

  /**
   * Waits for the next frame that `match` accepts; an ERROR frame rejects with its code when
   * `errors` is set (for exchanges where the server answers one request at a time).
   */
  expect<F extends ServerToClientFrame>(
    match: (f: ServerToClientFrame) => f is F,
    { timeoutMs = 30_000, errors = true }: { timeoutMs?: number; errors?: boolean } = {},
  ): Promise<F> {
    return new Promise<F>((resolve, reject) => {
      if (!this.isOpen) return reject(closedError())
      const w: Waiter = {
        match: (f) => match(f) || (errors && f.type === 'ERROR'),
        resolve: (f) =>
          f.type === 'ERROR' && !match(f) ? reject(errorFromFrame(f.payload)) : resolve(f as F),
        reject,
        timer: setTimeout(
          () => this.#settle(w, () => reject(new ChatError('TIMEOUT', 'no answer from the server'))),
          timeoutMs,
        ),
      }
      this.#waiters.add(w)
    })
  }

  /** Sends CTRL_CLOSE (best effort) and closes with 1000. */
  async close(ctrl?: ClientFrame<'CTRL_CLOSE'>): Promise<void> {
    if (this.isOpen) {
      try {
        if (ctrl) this.send(ctrl)
        await this.drain(0)
      } catch {}
      this.#ws.close(1000, 'bye')
    }
    await Promise.race([this.closed, Bun.sleep(2_000)])
  }

  #settle(w: Waiter, fn: () => void): void {
    if (!this.#waiters.delete(w)) return
    clearTimeout(w.timer)
    fn()
  }

  #receive(data: unknown): void {
    const raw =
      typeof data === 'string' || data instanceof ArrayBuffer || data instanceof Uint8Array ? data : ''
    const r = decode(raw, 'serverToClient')
    if (!r.ok) {
      log.warn('dropped a frame from the server', {
        type: r.type,
        code: r.error.code,
        detail: r.error.detail,
      })
      return
    }
    for (const w of this.#waiters) {
      if (w.match(r.frame)) return this.#settle(w, () => w.resolve(r.frame))
    }
    this.#onFrame(r.frame)
  }
}

function closedError(code?: number): ChatError {
  return new ChatError('INTERNAL', `connection closed${code === undefined ? '' : ` (${code})`}`)
}

const isKnownCode = (c: string): c is ErrorCode => (ERROR_CODES as readonly string[]).includes(c)

/** An ERROR frame as a ChatError; a code we do not know becomes INTERNAL with the code kept in the text. */
export function errorFromFrame(p: { code: string; detail: string }): ChatError {
  if (isKnownCode(p.code)) return new ChatError(p.code, p.detail || p.code)
  return new ChatError('INTERNAL', `${p.code}${p.detail ? `: ${p.detail}` : ''}`)
}
