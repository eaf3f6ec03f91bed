/** @module Bootstrap (SOCP §8.1): SERVER_HELLO_JOIN, SERVER_WELCOME, SERVER_HELLO_LINK, SERVER_ANNOUNCE. */

import { z } from 'zod'
import { LenientUserInputSchema, normaliseUser } from './_lenient.ts'
import {
  B64uPubkeySchema,
  EnvelopeSchema,
  HostSchema,
  PortSchema,
  PubkeySchema,
  UsernameSchema,
  UuidSchema,
} from './envelope.ts'
import { CapsSchema } from './roster.ts'

/** The link-authentication version our hellos announce. */
export const LINK_AUTH = 'v1' as const
/**
 * Ours, only between TLS servers: `tls: true` says "dial me at wss://" (docs/wire.md §9). Sent only
 * by a server that listens with TLS, so a plain server's frames stay exactly the spec's.
 */
export const TlsFlagSchema = z.boolean().optional()

/** "SERVER_HELLO_JOIN {host, port, pubkey}, `to:"host:port"`, signed with the joiner's key" (PROTOCOL.md §4). */
export const ServerHelloJoinPayloadSchema = z.object({
  host: HostSchema,
  port: PortSchema,
  pubkey: PubkeySchema,
  /**
   * Ours (docs/wire.md §14): "v1" says the dialer answers SERVER_CHALLENGE. Signed with the hello, so
   * only a hello from a server without it can take the `--allow-legacy-peers` path.
   */
  auth: z.literal(LINK_AUTH).optional(),
  tls: TlsFlagSchema,
  /** Ours only (docs/wire.md §14): what this server speaks beyond the spec. */
  caps: CapsSchema.optional(),
})

/** "first frame `SERVER_HELLO_LINK` {host, port, pubkey}" (PROTOCOL.md §4). */
export const ServerHelloLinkPayloadSchema = ServerHelloJoinPayloadSchema.extend({
  /**
   * Ours (docs/wire.md §10): "I only check that you answer at this address with your key; I hang up
   * after your SERVER_PROOF". The server answers the challenge and links nothing.
   */
  probe: z.literal(true).optional(),
})

/** "broadcasts `SERVER_ANNOUNCE` {host, port, pubkey}" (PROTOCOL.md §4). */
export const ServerAnnouncePayloadSchema = ServerHelloJoinPayloadSchema

/** One server of the mesh as a WELCOME lists it. */
export const ServerEntrySchema = z.object({
  server_id: UuidSchema,
  host: HostSchema,
  port: PortSchema,
  pubkey: PubkeySchema,
  tls: TlsFlagSchema,
})

const RecordSchema = z.record(z.string(), z.unknown())
const UserEntrySchema = LenientUserInputSchema.extend({ server_id: UuidSchema.nullish() })

type WelcomeLists = { servers?: unknown[] | undefined; clients?: unknown[] | undefined }

/**
 * Sorts WELCOME entries into servers and users, whatever list they came in (spec-notes §5.1):
 * every `servers` entry is a server; a `clients` entry is a server when it has host and port —
 * unless a `servers` list exists too and the entry has a `user_id` (Group 12 sends users there).
 * A server keyed by `user_id` (the spec's own example) keeps that id. Unusable entries are counted
 * in `dropped`, not fatal, so one bad entry cannot stop a join.
 */
function splitEntries(p: WelcomeLists) {
  const servers: z.infer<typeof ServerEntrySchema>[] = []
  const users: (ReturnType<typeof normaliseUser> & { server_id: string | null })[] = []
  let dropped = 0
  const take = (entry: unknown, listedAsServer: boolean): void => {
    const rec = RecordSchema.safeParse(entry)
    if (!rec.success) {
      dropped++
      return
    }
    const e = rec.data
    const addressed = e.host !== undefined && e.port !== undefined
    if (listedAsServer || (addressed && !(p.servers && e.user_id !== undefined))) {
      const s = ServerEntrySchema.safeParse({
        server_id: e.server_id ?? e.user_id,
        host: e.host,
        port: e.port,
        pubkey: e.pubkey ?? e.server_pub,
        tls: e.tls,
      })
      if (s.success) servers.push(s.data)
      else dropped++
      return
    }
    const u = UserEntrySchema.safeParse(e)
    if (u.success) users.push({ ...normaliseUser(u.data), server_id: u.data.server_id ?? null })
    else dropped++
  }
  for (const e of p.servers ?? []) take(e, true)
  for (const e of p.clients ?? []) take(e, false)
  return { servers, users, dropped }
}

/**
 * "SERVER_WELCOME {assigned_id, servers:[…], clients:[…]}", read leniently (PROTOCOL.md §4):
 * `assigned_id` null or missing (keep yours) comes out as `null`; the lists come out as `servers`
 * and `users`; the introducer key (`pubkey` or `server_pub`) as `pubkey: string | null`.
 */
export const ServerWelcomePayloadSchema = z
  .object({
    assigned_id: UuidSchema.nullish(),
    servers: z.array(z.unknown()).optional(),
    clients: z.array(z.unknown()).optional(),
    pubkey: PubkeySchema.nullish(),
    server_pub: PubkeySchema.nullish(),
    caps: CapsSchema.optional(),
  })
  .transform((p) => ({
    assigned_id: p.assigned_id ?? null,
    ...splitEntries(p),
    pubkey: p.pubkey ?? p.server_pub ?? null,
    caps: p.caps ?? [],
  }))

/** SERVER_WELCOME exactly as we send it (PROTOCOL.md §4, docs/wire.md §5). */
export const ServerWelcomeWireSchema = z.object({
  assigned_id: UuidSchema,
  servers: z.array(ServerEntrySchema.extend({ port: z.int().min(1).max(65535) })),
  clients: z.array(
    z.object({
      user_id: UuidSchema,
      server_id: UuidSchema,
      pubkey: B64uPubkeySchema,
      meta: z.object({ display_name: UsernameSchema }),
    }),
  ),
  // The introducer's key under both names other implementations read.
  pubkey: B64uPubkeySchema,
  server_pub: B64uPubkeySchema,
  caps: CapsSchema,
})

// A joiner's `from` may not be a UUID yet ("an introducer never keeps the literal `auto`",
// PROTOCOL.md §4), so the introducer checks it; every later server frame comes from a UUID.
export const ServerHelloJoinFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_HELLO_JOIN'),
  payload: ServerHelloJoinPayloadSchema,
})
export const ServerWelcomeFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_WELCOME'),
  from: UuidSchema,
  payload: ServerWelcomePayloadSchema,
})
export const ServerHelloLinkFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_HELLO_LINK'),
  from: UuidSchema,
  payload: ServerHelloLinkPayloadSchema,
})
export const ServerAnnounceFrameSchema = EnvelopeSchema.extend({
  type: z.literal('SERVER_ANNOUNCE'),
  from: UuidSchema,
  payload: ServerAnnouncePayloadSchema,
})

export type ServerHelloJoinPayload = z.infer<typeof ServerHelloJoinPayloadSchema>
export type ServerEntry = z.infer<typeof ServerEntrySchema>
export type ServerWelcomePayload = z.infer<typeof ServerWelcomePayloadSchema>
export type ServerWelcomeWire = z.input<typeof ServerWelcomeWireSchema>
