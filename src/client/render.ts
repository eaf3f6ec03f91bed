/**
 * @module Pure formatting of client events into the stable output lines scripts read, or into
 * one JSON object per line (`--json`). Every string is sanitised here, at the last step before
 * printing, because any of them may have come from another user.
 */

import { CLOSE_LOGGED_IN_ELSEWHERE } from '../protocol/index.ts'
import { qualified } from './directory.ts'
import type { SessionEvents } from './events.ts'
import type { HistoryEntry } from './history.ts'
import { sanitize } from './sanitize.ts'

/** A user as `/list` shows one. */
export type ListedUser = { userId: string; username: string; serverId: string }

/** A sender's name with its short fingerprint while unverified: `bob [1a2b:3c4d]`. */
const who = (name: string, unverified: string | undefined) =>
  unverified === undefined ? s(name) : `${s(name)} [${s(unverified)}]`

/** Names in a list, qualified `name@label` where two online users share one (PROTOCOL.md §6). */
function listNames(users: readonly ListedUser[]): string {
  const count = new Map<string, number>()
  for (const u of users) count.set(u.username, (count.get(u.username) ?? 0) + 1)
  return users.map((u) => ((count.get(u.username) ?? 0) > 1 ? s(qualified(u)) : s(u.username))).join(', ')
}

/** What the client prints: the Session's events plus the outcomes of the user's own commands. */
export type ClientEvent =
  | { type: 'registered'; username: string; userId: string }
  | { type: 'login'; username: string; userId: string }
  | { type: 'list'; users: ListedUser[] }
  | {
      type: 'fingerprint'
      username: string
      userId: string
      fingerprint: string
      pinned?: string
      verified?: boolean
    }
  | { type: 'verified'; username: string; userId: string; fingerprint: string }
  | { type: 'sent'; to: string; recipients?: number; queued?: boolean; text?: string; ts?: number }
  | { type: 'history'; entries: HistoryEntry[] }
  | { type: 'file-sent'; fileId: string; to: string; name: string; size: number; queued?: boolean }
  | { type: 'info'; text: string }
  | { [K in keyof SessionEvents]: { type: K } & SessionEvents[K] }[keyof SessionEvents]

export type Level = 'info' | 'success' | 'warn' | 'error' | 'message'
/** One printable line and how loudly to show it; `null` when the event prints nothing. */
export type Rendered = { level: Level; text: string } | null

const s = sanitize

/** A local time of day for a message ts (the sender's signed time, shown in the reader's zone). */
export function clock(ts: number): string {
  const d = new Date(ts)
  const today = new Date().toDateString() === d.toDateString()
  const hm = d.toTimeString().slice(0, 5)
  return today ? hm : `${d.toISOString().slice(0, 10)} ${hm}`
}

/** The plain-text line for an event (the stable format of the non-interactive client). */
export function renderText(e: ClientEvent): Rendered {
  switch (e.type) {
    case 'registered':
      return { level: 'success', text: `[REGISTERED] ${s(e.username)} ${s(e.userId)}` }
    case 'login':
      return { level: 'success', text: `[LOGIN SUCCESS] ${s(e.username)} ${s(e.userId)}` }
    case 'list':
      return { level: 'info', text: `Online users: ${listNames(e.users)}` }
    case 'fingerprint': {
      const pinned = e.pinned ? ` (pinned key: ${s(e.pinned)})` : ''
      const verified = e.verified ? ' (verified)' : ''
      return {
        level: e.pinned ? 'warn' : 'info',
        text: `[FINGERPRINT] ${s(e.username)} ${s(e.fingerprint)}${verified}${pinned}`,
      }
    }
    case 'verified':
      return { level: 'success', text: `[VERIFIED] ${s(e.username)} ${s(e.userId)} ${s(e.fingerprint)}` }
    case 'sent':
      // The server acknowledged it (docs/wire.md §11); "queued": the recipient's home server keeps it.
      if (e.queued) return { level: 'success', text: `[QUEUED] for ${s(e.to)} (offline)` }
      return {
        level: 'success',
        text: `[SENT] to ${s(e.to)}${e.recipients === undefined ? '' : ` (${e.recipients} online)`}`,
      }
    case 'history':
      if (e.entries.length === 0) return { level: 'info', text: 'no messages yet' }
      return {
        level: 'info',
        text: e.entries
          .map(
            (h) =>
              `${clock(h.ts)} ${h.dir === 'out' ? `you → ${s(h.peerName)}` : s(h.peerName)}: ${s(h.text)}`,
          )
          .join('\n'),
      }
    case 'file-sent':
      return {
        level: 'success',
        text: `[FILE] sent ${s(e.name)} to ${s(e.to)} as ${s(e.fileId)}${e.queued ? ' (queued: offline)' : ''}`,
      }
    case 'info':
      // Our own multi-line texts (/help) keep their lines; each line is still sanitised.
      return { level: 'info', text: e.text.split('\n').map(s).join('\n') }
    case 'dm':
      return { level: 'message', text: `DM from ${who(e.fromName, e.unverified)}: ${s(e.text)}` }
    case 'public':
      return { level: 'message', text: `[Public] ${who(e.fromName, e.unverified)}: ${s(e.text)}` }
    case 'file':
      // The path ends the line (scripts read it); the sender was shown in its offer or progress.
      return { level: 'success', text: `[FILE] saved ${s(e.path)}` }
    case 'file-offer':
      return {
        level: 'warn',
        text:
          `[FILE OFFER] ${s(e.fileId)} ${s(e.name)} (${e.size} bytes) from ${who(e.fromName, e.unverified)}, ` +
          'not verified: /accept or /decline',
      }
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
    case 'key-changed': {
      const what = e.pinnedId
        ? `a NEW ID under the name pinned to ${s(e.pinnedId)}`
        : 'the key differs from its pin'
      const loud = e.verified ? 'You had VERIFIED this contact. ' : ''
      return {
        level: 'warn',
        text:
          `[KEY CHANGED] ${s(e.username)} ${s(e.userId)}: ${what}; pinned ${s(e.old)}, now ${s(e.new)}. ${loud}` +
          `It is refused both ways until you compare fingerprints out of band and /trust ${s(e.userId)}.`,
      }
    }
    case 'reconnecting':
      return {
        level: 'warn',
        text: `[RECONNECTING] connection lost (${e.code}); retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt})`,
      }
    case 'reconnected':
      return { level: 'success', text: `[RECONNECTED] resent ${e.resent} unacknowledged frame(s)` }
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
