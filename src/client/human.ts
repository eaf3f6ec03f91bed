/**
 * @module How the interactive client words events: local times on messages, your own messages
 * echoed, plain sentences instead of protocol codes (codes stay in script mode and `--json`,
 * render.ts). Every string from another user is still sanitised here.
 */

import { type ClientEvent, clock, type Rendered, renderText } from './render.ts'
import { sanitize as s } from './sanitize.ts'

const who = (name: string, unverified: string | undefined) =>
  unverified === undefined ? s(name) : `${s(name)} [${s(unverified)}]`

/** Close codes in words (RFC 6455 and ours). */
function closeWords(code: number, reason: string): string {
  if (code === 4002)
    return 'You logged in from another client, so this one was signed out (it will not reconnect).'
  if (code === 1001) return 'The server shut down.'
  if (code === 1006) return 'The connection to the server was lost and could not be re-established.'
  if (code === 1008) return `The server closed the connection${reason ? `: ${s(reason)}` : ''}.`
  return `The connection closed${reason ? `: ${s(reason)}` : ''}.`
}

/** Error codes a user can act on, in words; the server's detail follows. */
const ERROR_WORDS: Record<string, string> = {
  USER_NOT_FOUND: 'No such user',
  AUTH_FAILED: 'Login failed',
  NAME_IN_USE: 'That name is taken',
  RATE_LIMITED: 'Slow down',
  BAD_REQUEST: 'Not understood',
  BAD_KEY: 'Key problem',
  INVALID_SIG: 'Dropped a message that failed its signature check',
  TOO_LARGE: 'Too large',
  TIMEOUT: 'No answer',
  INTERNAL: 'Something went wrong',
}

/** The interactive line for an event, or null; anything not reworded here is render.ts's line. */
export function renderHuman(e: ClientEvent): Rendered {
  switch (e.type) {
    case 'dm':
      return { level: 'message', text: `${clock(e.ts)} ${who(e.fromName, e.unverified)}: ${s(e.text)}` }
    case 'public':
      return { level: 'message', text: `${clock(e.ts)} [all] ${who(e.fromName, e.unverified)}: ${s(e.text)}` }
    case 'sent':
      if (e.text === undefined) break
      return {
        level: 'message',
        text: `${clock(e.ts ?? Date.now())} you → ${s(e.to)}: ${s(e.text)}${e.queued ? `  (queued for ${s(e.to)}: offline)` : ''}`,
      }
    case 'file':
      return {
        level: 'success',
        text: `${clock(Date.now())} File from ${who(e.fromName, e.unverified)}: "${s(e.name)}" (${e.size} bytes) saved as ${s(e.path)}`,
      }
    case 'presence':
      return { level: 'info', text: `${s(e.username)} is ${e.online ? 'online' : 'offline'}` }
    case 'reconnecting':
      return {
        level: 'warn',
        text: `Connection lost; reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}). Keep typing.`,
      }
    case 'reconnected':
      return {
        level: 'success',
        text: `Reconnected${e.resent > 0 ? `; resent ${e.resent} unconfirmed message part(s)` : ''}.`,
      }
    case 'closed':
      return { level: 'warn', text: closeWords(e.code, e.reason) }
    case 'error': {
      const words = ERROR_WORDS[e.code]
      return { level: 'error', text: words ? `${words}: ${s(e.detail)}` : `${s(e.code)}: ${s(e.detail)}` }
    }
    default:
      break
  }
  return renderText(e)
}
