/**
 * @module What `startServer` takes from the network flags, in two steps: before listening (TLS
 * files, trust for outgoing wss://, introducers), and once the port is known (the advertised
 * address, chosen and logged with the rest of the start-up banner).
 */

import type { Logger } from '../log.ts'
import {
  type ClientTls,
  clientTls,
  INSECURE_WARNING,
  readServerTls,
  type ServerTls,
  type TrustOptions,
  type WsAddr,
} from '../net/index.ts'
import { chooseAdvertised } from './advertise.ts'
import { startupLines } from './banner.ts'

export type NetworkOptions = {
  host: string
  port: number
  peers: { host: string; port: number; tls?: boolean }[]
  advertise?: WsAddr | undefined
  tls?: { certFile: string; keyFile: string } | undefined
  trust?: TrustOptions
}

export type Network = {
  serverTls: ServerTls | undefined
  dialTls: ClientTls | undefined
  introducers: WsAddr[]
  /** The context's advertised address: filled in by `settle`, before anything is dialed. */
  advertised: WsAddr
  /** Picks and logs the advertised address once listening on `port`; returns the listen address. */
  settle(o: { port: number; serverId: string; db: string }): Promise<WsAddr>
}

/**
 * Reads the TLS files before anything listens, so a bad file is a start-up error rather than a
 * failing handshake later. @throws UsageError for an unreadable certificate, key or CA.
 */
export function prepareNetwork(opts: NetworkOptions, log: Logger): Network {
  const serverTls = opts.tls ? readServerTls(opts.tls.certFile, opts.tls.keyFile) : undefined
  const trust = opts.trust ?? {}
  const dialTls = clientTls(trust)
  if (trust.insecureSkipVerify) log.warn(INSECURE_WARNING)
  const introducers = opts.peers.map((p) => ({ host: p.host, port: p.port, tls: p.tls ?? false }))
  const advertised: WsAddr = { host: opts.host, port: opts.port, tls: serverTls !== undefined }
  return {
    serverTls,
    dialTls,
    introducers,
    advertised,
    async settle({ port, serverId, db }) {
      const listen = { host: opts.host, port, tls: advertised.tls }
      const choice = await chooseAdvertised({
        bind: listen,
        tls: listen.tls,
        advertise: opts.advertise,
        introducers,
      })
      Object.assign(advertised, choice.addr)
      for (const line of startupLines({ serverId, listen, introducers, db, choice, trust })) log.info(line)
      if (choice.warning) log.warn(choice.warning)
      return listen
    },
  }
}
