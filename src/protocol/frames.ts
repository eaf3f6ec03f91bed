/** @module The three frame unions, one per link direction (PROTOCOL.md §1), and the handler-table type. */

import { z } from 'zod'
import {
  AuthChallengeFrameSchema,
  AuthHelloFrameSchema,
  AuthOkFrameSchema,
  AuthResponseFrameSchema,
  ListFrameSchema,
  UserHelloFrameSchema,
  UserListFrameSchema,
  UserRegisterFrameSchema,
  UserRekeyFrameSchema,
} from './accounts.ts'
import {
  ServerAnnounceFrameSchema,
  ServerHelloJoinFrameSchema,
  ServerHelloLinkFrameSchema,
  ServerWelcomeFrameSchema,
} from './bootstrap.ts'
import {
  MsgPublicChannelDeliveredFrameSchema,
  MsgPublicChannelFrameSchema,
  PublicChannelAddFrameSchema,
  PublicChannelKeyShareFrameSchema,
  PublicChannelUpdatedFrameSchema,
} from './channel.ts'
import { AckFrameSchema, CtrlCloseFrameSchema, ErrorFrameSchema } from './control.ts'
import { MsgDirectFrameSchema, ServerDeliverFrameSchema, UserDeliverFrameSchema } from './delivery.ts'
import { FileChunkFrameSchema, FileEndFrameSchema, FileStartFrameSchema } from './files.ts'
import { HeartbeatFrameSchema } from './health.ts'
import { ServerChallengeFrameSchema, ServerProofFrameSchema } from './linkauth.ts'
import { DirectoryEntryFrameSchema, UserAdvertiseFrameSchema, UserRemoveFrameSchema } from './presence.ts'
import { UserEntryFrameSchema, UserLookupFrameSchema } from './reliable.ts'
import {
  LookupFrameSchema,
  PresenceBatchFrameSchema,
  UserInfoFrameSchema,
  UserPresenceFrameSchema,
} from './roster.ts'

/** What a client may send on a user link. */
export const UserToServerFrameSchema = z.discriminatedUnion('type', [
  UserRegisterFrameSchema,
  AuthHelloFrameSchema,
  AuthResponseFrameSchema,
  UserHelloFrameSchema,
  UserRekeyFrameSchema,
  MsgDirectFrameSchema,
  MsgPublicChannelFrameSchema,
  FileStartFrameSchema,
  FileChunkFrameSchema,
  FileEndFrameSchema,
  ListFrameSchema,
  UserLookupFrameSchema,
  LookupFrameSchema,
  HeartbeatFrameSchema,
  AckFrameSchema,
  ErrorFrameSchema,
  CtrlCloseFrameSchema,
])

/** What a server may send on a server link. */
export const ServerToServerFrameSchema = z.discriminatedUnion('type', [
  ServerHelloJoinFrameSchema,
  ServerWelcomeFrameSchema,
  ServerHelloLinkFrameSchema,
  ServerAnnounceFrameSchema,
  ServerChallengeFrameSchema,
  ServerProofFrameSchema,
  UserAdvertiseFrameSchema,
  UserRemoveFrameSchema,
  PresenceBatchFrameSchema,
  DirectoryEntryFrameSchema,
  ServerDeliverFrameSchema,
  PublicChannelAddFrameSchema,
  PublicChannelUpdatedFrameSchema,
  PublicChannelKeyShareFrameSchema,
  HeartbeatFrameSchema,
  AckFrameSchema,
  ErrorFrameSchema,
  CtrlCloseFrameSchema,
])

/** What a server may send to a client. */
export const ServerToClientFrameSchema = z.discriminatedUnion('type', [
  AuthChallengeFrameSchema,
  AuthOkFrameSchema,
  AckFrameSchema,
  ErrorFrameSchema,
  UserAdvertiseFrameSchema,
  UserRemoveFrameSchema,
  UserDeliverFrameSchema,
  MsgPublicChannelDeliveredFrameSchema,
  FileStartFrameSchema,
  FileChunkFrameSchema,
  FileEndFrameSchema,
  UserListFrameSchema,
  UserEntryFrameSchema,
  UserPresenceFrameSchema,
  PresenceBatchFrameSchema,
  UserInfoFrameSchema,
  PublicChannelAddFrameSchema,
  PublicChannelUpdatedFrameSchema,
  CtrlCloseFrameSchema,
])

export type UserToServerFrame = z.infer<typeof UserToServerFrameSchema>
export type ServerToServerFrame = z.infer<typeof ServerToServerFrameSchema>
export type ServerToClientFrame = z.infer<typeof ServerToClientFrameSchema>

const typesOf = <T extends string>(schema: { options: readonly { shape: { type: z.ZodLiteral<T> } }[] }) =>
  Object.freeze(schema.options.map((o) => o.shape.type.value))

/** The `type` names each union accepts; any other type on that link is `UNKNOWN_TYPE`. */
export const USER_TO_SERVER_TYPES: readonly UserToServerFrame['type'][] = typesOf(UserToServerFrameSchema)
export const SERVER_TO_SERVER_TYPES: readonly ServerToServerFrame['type'][] =
  typesOf(ServerToServerFrameSchema)
export const SERVER_TO_CLIENT_TYPES: readonly ServerToClientFrame['type'][] =
  typesOf(ServerToClientFrameSchema)

/**
 * A dispatch table keyed by frame type: a missing handler is a compile error (STYLE.md §3).
 * @example
 * export const meshHandlers = { HEARTBEAT: () => {}, … } satisfies Handlers<ServerToServerFrame, Ctx>
 */
export type Handlers<F extends { type: string }, C> = {
  [K in F['type']]: (f: Extract<F, { type: K }>, ctx: C) => void | Promise<void>
}
