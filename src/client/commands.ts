/** @module The slash-command table: a pure parser from one input line to a typed command. */

import { z } from 'zod'
import { isUsername, USERNAME_RULE } from '../protocol/index.ts'

/** Usernames as the server accepts them (PROTOCOL.md §6): 3–32 of [a-z0-9_] after lower-casing. */
const UsernameArg = z
  .string()
  .refine(isUsername, USERNAME_RULE)
  .transform((s) => s.toLowerCase())
/** A user as the other commands name one: a username or a user id (no spaces). */
const UserArg = z.string().regex(/^\S{1,64}$/, 'expected a username, name@server or user id')
const TextArg = z.string().min(1, 'the message is empty')
const PathArg = z.string().min(1, 'expected a file path')

/** One entry per command: its usage line, help text and argument schema. */
export const COMMANDS = {
  register: {
    usage: '/register [username]',
    help: 'create an account (RSA-4096 keys made here)',
    args: z.object({ username: UsernameArg.optional() }),
  },
  login: {
    usage: '/login <username_or_uuid>',
    help: 'log in; the password opens your key locally',
    args: z.object({ login: UserArg }),
  },
  list: { usage: '/list', help: 'online users across the mesh', args: z.object({}) },
  tell: {
    usage: '/tell <user|user@server|id> <message>',
    help: 'end-to-end encrypted direct message',
    args: z.object({ user: UserArg, text: TextArg }),
  },
  msg: {
    usage: '/msg <user> <message>',
    help: 'the same as /tell',
    args: z.object({ user: UserArg, text: TextArg }),
  },
  all: { usage: '/all <message>', help: 'message everyone online', args: z.object({ text: TextArg }) },
  file: {
    usage: '/file <user> <path>',
    help: 'send a file, encrypted and signed',
    args: z.object({ user: UserArg, path: PathArg }),
  },
  fingerprint: {
    usage: '/fingerprint [user]',
    help: "show a key's fingerprint to compare out of band",
    args: z.object({ user: UserArg.optional() }),
  },
  trust: {
    usage: '/trust <user>',
    help: "accept a user's changed key, after comparing its /fingerprint out of band",
    args: z.object({ user: UserArg }),
  },
  verify: {
    usage: '/verify <user>',
    help: 'mark a user verified after comparing its /fingerprint out of band',
    args: z.object({ user: UserArg }),
  },
  accept: {
    usage: '/accept [file_id]',
    help: 'accept a file offered by an unverified sender (default: the newest offer)',
    args: z.object({ file: UserArg.optional() }),
  },
  decline: {
    usage: '/decline [file_id]',
    help: 'refuse a file offered by an unverified sender (default: the newest offer)',
    args: z.object({ file: UserArg.optional() }),
  },
  transfers: { usage: '/transfers', help: 'files being sent in the background', args: z.object({}) },
  cancel: {
    usage: '/cancel <file_id>',
    help: 'stop sending a file (the first characters of its id are enough)',
    args: z.object({ file: UserArg }),
  },
  history: {
    usage: '/history [user]',
    help: 'the recent conversation (kept encrypted on this machine)',
    args: z.object({ user: UserArg.optional() }),
  },
  say: {
    usage: '<message>',
    help: 'text without a / goes to the current conversation',
    args: z.object({ text: TextArg }),
  },
  logout: { usage: '/logout', help: 'log out and stay in the program', args: z.object({}) },
  help: { usage: '/help', help: 'this list', args: z.object({}) },
  quit: { usage: '/quit', help: 'leave', args: z.object({}) },
} as const

/** Commands that make sense before login, and the ones only after it. */
const BEFORE_LOGIN: ReadonlySet<CommandName> = new Set(['register', 'login', 'help', 'quit'])
const AFTER_LOGIN_ONLY_HIDDEN: ReadonlySet<CommandName> = new Set(['register', 'login'])

export type CommandName = keyof typeof COMMANDS
/** A parsed command: `{ name, ...args }`, discriminated by `name`. */
export type Command = {
  [K in CommandName]: { name: K } & z.output<(typeof COMMANDS)[K]['args']>
}[CommandName]

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string }

const isName = (s: string): s is CommandName => Object.hasOwn(COMMANDS, s)

// Splits off the first `n` words; the rest of the line, inner spacing kept, is the last field.
function words(rest: string, n: number): string[] {
  const out: string[] = []
  let tail = rest.trimStart()
  for (let i = 0; i < n && tail !== ''; i++) {
    const m = /^(\S+)\s*/.exec(tail)!
    out.push(m[1]!)
    tail = tail.slice(m[0].length)
  }
  if (tail !== '') out.push(tail.trimEnd())
  return out
}

// Field names per command, in the order they appear on the line; the last one takes the rest.
const FIELDS: Record<CommandName, readonly string[]> = {
  register: ['username'],
  login: ['login'],
  list: [],
  tell: ['user', 'text'],
  msg: ['user', 'text'],
  all: ['text'],
  file: ['user', 'path'],
  fingerprint: ['user'],
  trust: ['user'],
  verify: ['user'],
  accept: ['file'],
  decline: ['file'],
  transfers: [],
  cancel: ['file'],
  history: ['user'],
  say: ['text'],
  logout: [],
  help: [],
  quit: [],
}

/**
 * Parses one line. Unknown commands, missing or extra arguments give `{ ok: false, error }` with
 * the usage line; nothing here throws.
 * @example parseCommand('/tell bob hi  there') // { ok: true, command: { name: 'tell', user: 'bob', text: 'hi  there' } }
 */
export function parseCommand(line: string): ParseResult {
  const m = /^\s*\/(\S*)(.*)$/s.exec(line)
  if (!m) {
    const text = line.trim()
    if (text === '') return { ok: false, error: 'the message is empty' }
    return { ok: true, command: { name: 'say', text } }
  }
  const name = m[1]!.toLowerCase()
  if (!isName(name) || name === 'say') return { ok: false, error: `unknown command /${m[1]} (try /help)` }
  const spec = COMMANDS[name]
  const fields = FIELDS[name]
  const parts = fields.length === 0 ? words(m[2]!, 0) : words(m[2]!, fields.length - 1)
  if (parts.length > fields.length) return { ok: false, error: `usage: ${spec.usage}` }
  const raw = Object.fromEntries(fields.flatMap((f, i) => (parts[i] === undefined ? [] : [[f, parts[i]]])))
  const parsed = spec.args.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const why = issue?.code === 'invalid_type' ? 'missing argument' : (issue?.message ?? 'bad arguments')
    return { ok: false, error: `${why}; usage: ${spec.usage}` }
  }
  return { ok: true, command: { name, ...parsed.data } as Command }
}

/**
 * The `/help` text for the state the user is in: before login only what works then; after it,
 * everything but /register and /login.
 */
export function helpText(loggedIn = true): string {
  const names = (Object.keys(COMMANDS) as CommandName[]).filter((n) =>
    loggedIn ? !AFTER_LOGIN_ONLY_HIDDEN.has(n) : BEFORE_LOGIN.has(n),
  )
  const width = Math.max(...names.map((n) => COMMANDS[n].usage.length))
  return names.map((n) => `${COMMANDS[n].usage.padEnd(width)}  ${COMMANDS[n].help}`).join('\n')
}

/** Every command word, for Tab completion. */
export const COMMAND_WORDS: readonly string[] = (Object.keys(COMMANDS) as CommandName[])
  .filter((n) => n !== 'say')
  .map((n) => `/${n}`)
