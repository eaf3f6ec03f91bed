/** @module The protocol's only public surface: wire schemas, their inferred types, and the codec. */

export type {
  AuthChallengePayload,
  AuthHelloPayload,
  AuthOkPayload,
  AuthResponsePayload,
  Kdf,
  ListPayload,
  UserHelloPayload,
  UserListPayload,
  UserRegisterPayload,
  UserRekeyPayload,
} from './accounts.ts'
export {
  AuthChallengeFrameSchema,
  AuthChallengePayloadSchema,
  AuthHelloFrameSchema,
  AuthHelloPayloadSchema,
  AuthOkFrameSchema,
  AuthOkPayloadSchema,
  AuthResponseFrameSchema,
  AuthResponsePayloadSchema,
  KdfSchema,
  ListFrameSchema,
  ListPayloadSchema,
  UserHelloFrameSchema,
  UserHelloPayloadSchema,
  UserListFrameSchema,
  UserListPayloadSchema,
  UserRegisterFrameSchema,
  UserRegisterPayloadSchema,
  UserRekeyFrameSchema,
  UserRekeyPayloadSchema,
} from './accounts.ts'
export type {
  ServerEntry,
  ServerHelloJoinPayload,
  ServerWelcomePayload,
  ServerWelcomeWire,
} from './bootstrap.ts'
export {
  LINK_AUTH,
  ServerAnnounceFrameSchema,
  ServerAnnouncePayloadSchema,
  ServerEntrySchema,
  ServerHelloJoinFrameSchema,
  ServerHelloJoinPayloadSchema,
  ServerHelloLinkFrameSchema,
  ServerHelloLinkPayloadSchema,
  ServerWelcomeFrameSchema,
  ServerWelcomePayloadSchema,
  ServerWelcomeWireSchema,
} from './bootstrap.ts'
export type {
  MsgPublicChannelDeliveredPayload,
  MsgPublicChannelPayload,
  PublicChannelAddPayload,
  PublicChannelKeySharePayload,
  PublicChannelUpdatedPayload,
  PublicItem,
} from './channel.ts'
export {
  MsgPublicChannelDeliveredFrameSchema,
  MsgPublicChannelDeliveredPayloadSchema,
  MsgPublicChannelFrameSchema,
  MsgPublicChannelPayloadSchema,
  PublicChannelAddFrameSchema,
  PublicChannelAddPayloadSchema,
  PublicChannelKeyShareFrameSchema,
  PublicChannelKeySharePayloadSchema,
  PublicChannelUpdatedFrameSchema,
  PublicChannelUpdatedPayloadSchema,
  PublicItemSchema,
  PublicItemsSchema,
} from './channel.ts'
export type {
  AnyFrame,
  DecodeErrorCode,
  DecodeOptions,
  DecodeResult,
  LinkKind,
  OutgoingFrame,
  RawFrame,
} from './codec.ts'
export {
  decode,
  encode,
  MAX_DEPTH,
  MAX_SERVER_TO_CLIENT_BYTES,
  MAX_SERVER_TO_SERVER_BYTES,
  MAX_USER_TO_SERVER_BYTES,
} from './codec.ts'
export type { AckPayload, CtrlClosePayload, ErrorPayload } from './control.ts'
export {
  AckFrameSchema,
  AckPayloadSchema,
  CLOSE_LOGGED_IN_ELSEWHERE,
  CtrlCloseFrameSchema,
  CtrlClosePayloadSchema,
  ErrorFrameSchema,
  ErrorPayloadSchema,
} from './control.ts'
export type {
  MsgDirectPayload,
  ServerDeliverPayload,
  ServerDeliverWire,
  UserDeliverPayload,
} from './delivery.ts'
export {
  MsgDirectFrameSchema,
  MsgDirectPayloadSchema,
  ServerDeliverFrameSchema,
  ServerDeliverPayloadSchema,
  ServerDeliverWireSchema,
  UserDeliverFrameSchema,
  UserDeliverPayloadSchema,
} from './delivery.ts'
export type { Envelope } from './envelope.ts'
export {
  AddressSchema,
  B64uPubkeySchema,
  Base64urlSchema,
  CiphertextSchema,
  ContentSigSchema,
  CountSchema,
  EnvelopeSchema,
  HostSchema,
  isHost,
  PortSchema,
  PubkeySchema,
  Sha256HexSchema,
  SigSchema,
  TsSchema,
  UsernameSchema,
  UuidOrEmptySchema,
  UuidSchema,
} from './envelope.ts'
export type { FileChunkPayload, FileEndPayload, FileStartPayload } from './files.ts'
export {
  FileChunkFrameSchema,
  FileChunkPayloadSchema,
  FileEndFrameSchema,
  FileEndPayloadSchema,
  FileStartFrameSchema,
  FileStartPayloadSchema,
} from './files.ts'
export type { Handlers, ServerToClientFrame, ServerToServerFrame, UserToServerFrame } from './frames.ts'
export {
  SERVER_TO_CLIENT_TYPES,
  SERVER_TO_SERVER_TYPES,
  ServerToClientFrameSchema,
  ServerToServerFrameSchema,
  USER_TO_SERVER_TYPES,
  UserToServerFrameSchema,
} from './frames.ts'
export type { HeartbeatPayload } from './health.ts'
export { HeartbeatFrameSchema, HeartbeatPayloadSchema } from './health.ts'
export type { ServerChallengePayload, ServerProofPayload } from './linkauth.ts'
export {
  NonceSchema,
  ServerChallengeFrameSchema,
  ServerChallengePayloadSchema,
  ServerProofFrameSchema,
  ServerProofPayloadSchema,
} from './linkauth.ts'
export { asUuid, isUsername, isUuid, USERNAME_RE, USERNAME_RULE } from './names.ts'
export type {
  ClientFrame,
  ClientFrameType,
  ClientPayloadOf,
  ServerFrameType,
  ServerPayloadOf,
} from './outgoing.ts'
export type {
  DirectoryEntryPayload,
  UserAdvertisePayload,
  UserAdvertiseWire,
  UserRemovePayload,
} from './presence.ts'
export {
  DirectoryEntryFrameSchema,
  DirectoryEntryPayloadSchema,
  UserAdvertiseFrameSchema,
  UserAdvertisePayloadSchema,
  UserAdvertiseWireSchema,
  UserRemoveFrameSchema,
  UserRemovePayloadSchema,
} from './presence.ts'
export type { DeliveryAck, DeliveryStatus, UserEntryPayload, UserLookupPayload } from './reliable.ts'
export {
  DeliveryAckSchema,
  DeliveryStatusSchema,
  deliveryRef,
  MAX_ACKS_PER_FRAME,
  UserEntryFrameSchema,
  UserEntryPayloadSchema,
  UserLookupFrameSchema,
  UserLookupPayloadSchema,
} from './reliable.ts'
export type { ListedUser, PresenceBatchPayload, UserPresencePayload } from './roster.ts'
export {
  CapsSchema,
  LookupFrameSchema,
  MAX_BATCH_USERS,
  MAX_PAGE_USERS,
  PRESENCE_BATCH_CAP,
  PresenceBatchFrameSchema,
  UserInfoFrameSchema,
  UserPresenceFrameSchema,
} from './roster.ts'
