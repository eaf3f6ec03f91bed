/** @module Network edges shared by server and client: addresses, TLS material, outgoing sockets. */

export {
  canonicalHost,
  healthUrl,
  hostPort,
  isLoopback,
  isNeverAPeer,
  isValidHost,
  isWildcard,
  parseWsUrl,
  unmapIPv4,
  type WsAddr,
  wsUrl,
} from './addr.ts'
export { openWebSocket } from './dial.ts'
export { budgetKey } from './group.ts'
export { type PeerAddr, parsePeerUrl, showFingerprint } from './pin.ts'
export {
  type ClientTls,
  clientTls,
  INSECURE_WARNING,
  readServerTls,
  type ServerTls,
  type TrustOptions,
} from './tls.ts'
