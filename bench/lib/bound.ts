/**
 * @module The machine's crypto bound, and the floors derived from it. Every figure the benchmark
 * reports is compared with what the crypto of that path costs on this machine, measured first in
 * the same run (scenario 1).
 */

/** The operations whose cost bounds this system (RSA-4096, plus the account KDFs). */
export const OPS = ['sign', 'decrypt', 'verify', 'encrypt', 'scrypt', 'argon2'] as const
export type Op = (typeof OPS)[number]

/** One operation: serial latency on one core, and throughput with every core busy. */
export type OpCost = { oneCoreMs: number; oneCorePerSec: number; allCoresPerSec: number }
export type Costs = { cores: number } & Record<Op, OpCost>

/**
 * The machine around a phase: each one-core cost the lower of its measures just before and just
 * after it (`remeasureOneCore`). Other work only ever slows an operation down, so a measure that
 * caught a moment of it is not the machine's; and the floor is not that of the faster machine the
 * run may have started on, when the phase ran on a slower one.
 */
export function fastestCosts(before: Costs, after: Costs): Costs {
  const out = { ...before }
  for (const op of OPS) out[op] = before[op].oneCoreMs <= after[op].oneCoreMs ? before[op] : after[op]
  return out
}

/** "sign 4.41 → 4.62 ms, scrypt 112 → 118 ms": how the machine moved across a phase. */
export function describeDrift(before: Costs, after: Costs, ops: readonly Op[]): string {
  const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2))
  return ops.map((op) => `${op} ${ms(before[op].oneCoreMs)} → ${ms(after[op].oneCoreMs)} ms`).join(', ')
}

/** How many of each operation a path performs. */
export type Work = Partial<Record<Op, number>>

export function addWork(...ws: Work[]): Work {
  const out: Work = {}
  for (const w of ws) for (const op of OPS) if (w[op]) out[op] = (out[op] ?? 0) + w[op]
  return out
}

export function scaleWork(w: Work, k: number): Work {
  const out: Work = {}
  for (const op of OPS) if (w[op]) out[op] = w[op] * k
  return out
}

/** Time to do `w` one operation after another (a latency floor: each step waits for the last). */
export function serialMs(c: Costs, w: Work): number {
  return OPS.reduce((t, op) => t + (w[op] ?? 0) * c[op].oneCoreMs, 0)
}

/**
 * Time to do `w` with every core busy (a throughput bound: the work is independent): its CPU time
 * on one core, divided by the cores. The measured all-core rates are reported beside it, but not
 * used here: on a shared machine they move with whatever else runs, the one-core cost does not.
 */
export function parallelMs(c: Costs, w: Work): number {
  return serialMs(c, w) / c.cores
}

/**
 * The floor of a task: its dependent chain done serially, or all its work spread over every core,
 * whichever is longer.
 */
export function floorMs(c: Costs, chain: Work, total: Work = chain): number {
  return Math.max(serialMs(c, chain), parallelMs(c, total))
}

/** "3 sign + 1 decrypt + 4 verify" for the report. */
export function describeWork(w: Work): string {
  return OPS.filter((op) => w[op])
    .map((op) => `${Number.isInteger(w[op]) ? w[op] : w[op]!.toFixed(1)} ${op}`)
    .join(' + ')
}

// --- the crypto each path must do (PROTOCOL.md §3–§5, docs/wire.md §6–§7) ---

/**
 * One DM from a user on server A to a user on server B, as the protocol requires it: the sender
 * encrypts and signs `content_sig`; A verifies it and signs SERVER_DELIVER; B verifies the
 * transport `sig` and `content_sig` and signs USER_DELIVER; the recipient verifies and decrypts.
 * (The optional client→server `sig` on MSG_DIRECT is not counted: spec-notes §6.2, "optional".)
 */
export const DM_WORK: Work = { encrypt: 1, sign: 3, verify: 4, decrypt: 1 }

/** What our client adds to a DM: it also signs the optional client→server `sig` of MSG_DIRECT. */
export const DM_CLIENT_EXTRA: Work = { sign: 1 }

/**
 * One FILE_CHUNK across two servers (docs/wire.md §7: chunks carry no signature of their own):
 * the sender encrypts; A signs SERVER_DELIVER; B verifies it and signs FILE_CHUNK to the user;
 * the recipient decrypts.
 */
export const CHUNK_WORK: Work = { encrypt: 1, sign: 2, verify: 1, decrypt: 1 }

/** FILE_START + FILE_END across two servers: two content signatures, four server signatures. */
export const FILE_ENDS_WORK: Work = { sign: 6, verify: 6 }

/**
 * Registering one user and bringing them online (docs/wire.md §1–§3, §14; docs/scale.md): client
 * scrypt, server argon2id; the client signs USER_REGISTER and USER_HELLO; the server signs
 * DIRECTORY_ENTRY, AUTH_OK, PUBLIC_CHANNEL_ADD, PUBLIC_CHANNEL_UPDATED, the login page
 * (USER_LIST) and the PRESENCE_BATCH — the last two once per batch, counted here at one login per
 * batch (the most they can cost). The ACK to USER_HELLO has the same payload for every login, so
 * its one signature is reused (the Outbox's memo) and is not counted; the server verifies
 * USER_REGISTER and USER_HELLO, and encrypts the public channel's key wrap.
 */
export const REGISTER_WORK: Work = { scrypt: 1, argon2: 1, sign: 8, verify: 2, encrypt: 1 }

/**
 * `REGISTER_WORK` as a given login costs it: a contacts-mode login is pushed no login page (one
 * signature fewer), and with no peer server and no client following everyone no one needs the
 * PRESENCE_BATCH, so it is not signed (another one fewer). The floor counts only what is done.
 */
export function registerWork(o: { loginPage: boolean; presenceBatch: boolean }): Work {
  return { ...REGISTER_WORK, sign: REGISTER_WORK.sign! - (o.loginPage ? 0 : 1) - (o.presenceBatch ? 0 : 1) }
}

/**
 * One `/all` to `members` members over `servers` servers, in client batches of `batch` items
 * (docs/wire.md §6): per member one encrypt, one content signature, a verify at its sender's
 * server and at its own, and a verify + decrypt at the member; per batch the sender's server signs
 * once for its own members and once per other server, and each other server verifies once and
 * signs once for its members. The chain is one member's path through two servers.
 */
export function publicWork(members: number, servers: number, batch: number): { chain: Work; total: Work } {
  const batches = Math.ceil(members / batch)
  return {
    chain: { encrypt: 1, sign: 3, verify: 3, decrypt: 1 },
    total: {
      encrypt: members,
      sign: members + batches * (servers + (servers - 1)),
      verify: members * 3 + batches * (servers - 1),
      decrypt: members,
    },
  }
}
