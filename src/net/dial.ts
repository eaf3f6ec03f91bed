/** @module Opening an outgoing WebSocket to a `ws://` or `wss://` URL with the configured trust. */

import type { ClientTls } from './tls.ts'

/**
 * `new WebSocket(url)`, with TLS options only for `wss://` (Bun takes them in the constructor's
 * second argument, as `fetch` does).
 */
export function openWebSocket(url: string, tls: ClientTls | undefined): WebSocket {
  if (!tls || !url.startsWith('wss://')) return new WebSocket(url)
  return new WebSocket(url, { tls })
}
