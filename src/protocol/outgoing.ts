/**
 * @module What each side may send, typed from the same zod schemas the codec decodes with: a frame
 * type not on the link, or a payload of the wrong shape, fails to compile (STYLE.md §15).
 */

import type { z } from 'zod'
import type { ServerWelcomeWire } from './bootstrap.ts'
import type { ServerDeliverWire } from './delivery.ts'
import type { FileChunkPayload, FileEndPayload, FileStartPayload } from './files.ts'
import type {
  ServerToClientFrameSchema,
  ServerToServerFrameSchema,
  UserToServerFrameSchema,
} from './frames.ts'
import type { UserAdvertiseWire } from './presence.ts'

/** Frames as they go out: schema *input* types, before any lenient normalisation of the reader. */
type ServerOut = z.input<typeof ServerToServerFrameSchema> | z.input<typeof ServerToClientFrameSchema>
type ClientOut = z.input<typeof UserToServerFrameSchema>

/**
 * Where a reader is lenient (other implementations' shapes), we send exactly one shape: the
 * `*WireSchema` of that frame (docs/wire.md), so what we send is pinned by the compiler too.
 */
type ServerWire = {
  SERVER_DELIVER: ServerDeliverWire
  USER_ADVERTISE: UserAdvertiseWire
  SERVER_WELCOME: ServerWelcomeWire
  // Files reach the recipient as themselves, with `sender` beside the envelope's `from` (docs/wire.md §7).
  FILE_START: FileStartPayload & { sender: string }
  FILE_CHUNK: FileChunkPayload & { sender: string }
  FILE_END: FileEndPayload & { sender: string }
}

/** Every frame type a server sends, to users or to servers. */
export type ServerFrameType = ServerOut['type']
/** Every frame type a client sends. */
export type ClientFrameType = ClientOut['type']

/** The payload a server sends in a frame of type `K`. */
export type ServerPayloadOf<K extends ServerFrameType> = K extends keyof ServerWire
  ? ServerWire[K]
  : Extract<ServerOut, { type: K }>['payload']

/** The payload a client sends in a frame of type `K`. */
export type ClientPayloadOf<K extends ClientFrameType> = Extract<ClientOut, { type: K }>['payload']

/**
 * A frame a client sends: its type, envelope fields, and the payload that type requires. With a
 * literal `K` the payload is exact; `send<K>` keeps the pairing through generic callers.
 */
export type ClientFrame<K extends ClientFrameType = ClientFrameType> = {
  type: K
  from: string
  to: string
  ts: number
  payload: ClientPayloadOf<K>
  sig?: string | undefined
}
