/**
 * @module Pure formatting of client events into the stable output lines scripts read, or into
 * one JSON object per line (`--json`). Every string is sanitised here, at the last step before
 * printing, because any of them may have come from another user.
 */

import { CLOSE_LOGGED_IN_ELSEWHERE } from '../protocol/index.ts'
import type { SessionEvents } from './events.ts'
import { sanitize } from './sanitize.ts'

/** A user as `/list` shows one. */
export type ListedUser = { userId: string; username: string; serverId: string }

/** What the client prints: the Session's events plus the outcomes of the user's own commands. */
export type ClientEvent =
  | { type: 'registered'; username: string; userId: string }
  | { type: 'login'; username: string; userId: string }
  | { type: 'list'; users: ListedUser[] }
  | { type: 'fingerprint'; username: string; userId: string; fingerprint: string; pinned?: string }
  | { type: 'sent'; to: string; recipients?: number }
  | { type: 'file-sent'; fileId: string; to: string; name: string; size: number }
  | { type: 'info'; text: string }
  | { [K in keyof SessionEvents]: { type: K } & SessionEvents[K] }[keyof SessionEvents]

export type Level = 'info' | 'success' | 'warn' | 'error' | 'message'
/** One printable line and how loudly to show it; `null` when the event prints nothing. */
export type Rendered = { level: Level; text: string } | null

const s = sanitize

/** The plain-text line for an event (the stable format of the non-interactive client). */
export function renderText(e: ClientEvent): Rendered {
  switch (e.type) {
    case 'registered':
      return { level: 'success', text: `[REGISTERED] ${s(e.username)} ${s(e.userId)}` }
    case 'login':
      return { level: 'success', text: `[LOGIN SUCCESS] ${s(e.username)} ${s(e.userId)}` }
    case 'list':
      return { level: 'info', text: `Online users: ${e.users.map((u) => s(u.username)).join(', ')}` }
    case 'fingerprint': {
      const pinned = e.pinned ? ` (pinned key: ${s(e.pinned)})` : ''
      return {
        level: e.pinned ? 'warn' : 'info',
        text: `[FINGERPRINT] ${s(e.username)} ${s(e.fingerprint)}${pinned}`,
      }
    }
    case 'sent':
      return {
        level: 'success',
        text: `[SENT] to ${s(e.to)}${e.recipients === undefined ? '' : ` (${e.recipients} online)`}`,
      }
    case 'file-sent':
      return { level: 'success', text: `[FILE] sent ${s(e.name)} to ${s(e.to)} as ${s(e.fileId)}` }
    case 'info':
      // Our own multi-line texts (/help) keep their lines; each line is still sanitised.
      return { level: 'info', text: e.text.split('\n').map(s).join('\n') }
    case 'dm':
      return { level: 'message', text: `DM from ${s(e.fromName)}: ${s(e.text)}` }
    case 'public':
      return { level: 'message', text: `[Public] ${s(e.fromName)}: ${s(e.text)}` }
    case 'file':
      return { level: 'success', text: `[FILE] saved ${s(e.path)}` }
    case 'file-failed':
      return {
        level: 'error',
        text: `[FILE FAILED] ${s(e.fileId)} ${e.direction === 'in' ? 'from' : 'to'} ${s(e.peerName)}: ${s(e.reason)}`,
      }
    case 'file-progress':
      return null
    case 'presence':
      return { level: 'info', text: `[${e.online ? 'ONLINE' : 'OFFLINE'}] ${s(e.username)}` }
    case 'error':
      return { level: 'error', text: `[ERROR] ${s(e.code)}: ${s(e.detail)}` }
    case 'key-changed':
      return {
        level: 'warn',
        text:
          `[KEY CHANGED] ${s(e.username)} ${s(e.userId)}: pinned ${s(e.old)}, now ${s(e.new)}. ` +
          'Messages to this user are refused until you verify the new key out of band.',
      }
    case 'closed':
      if (e.code === CLOSE_LOGGED_IN_ELSEWHERE)
        return {
          level: 'warn',
          text:
            '[CLOSED] logged in elsewhere: your account logged in from another client, so this ' +
            'session was closed (it will not reconnect).',
        }
      return { level: 'warn', text: `[CLOSED] ${e.code}${e.reason ? ` ${s(e.reason)}` : ''}` }
  }
}

function clean(v: unknown): unknown {
  if (typeof v === 'string') return sanitize(v)
  if (Array.isArray(v)) return v.map(clean)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]))
  return v
}

/** One JSON object per line (`--json`): `{"event": type, ...fields}`, strings sanitised. */
export function renderJson(e: ClientEvent): string | null {
  if (e.type === 'file-progress') return null
  const { type, ...rest } = e
  return JSON.stringify({ event: type, ...(clean(rest) as object) })
}

/** The line to print in the chosen mode, or `null`. */
export function renderLine(e: ClientEvent, json: boolean): string | null {
  return json ? renderJson(e) : (renderText(e)?.text ?? null)
}
