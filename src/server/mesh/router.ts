/** @module The server-link handler table: one entry per frame another server may send. */

import type { MeshCall, MeshHandlers } from './_types.ts'
import { onAnnounce, onHelloJoin, onHelloLink, onWelcome } from './bootstrap.ts'
import { onChannelAdd, onChannelUpdated, onKeyShare } from './channel.ts'
import { onServerDeliver } from './deliver.ts'
import { onDirectoryEntry } from './directory.ts'
import { onAdvertise, onPresenceBatch, onRemove } from './presence.ts'

/** Handlers receive frames only after `verifyServerFrame` (the `Verified` brand says so). */
export const meshHandlers = {
  SERVER_HELLO_JOIN: onHelloJoin,
  SERVER_WELCOME: onWelcome,
  SERVER_HELLO_LINK: onHelloLink,
  SERVER_ANNOUNCE: onAnnounce,
  USER_ADVERTISE: onAdvertise,
  USER_REMOVE: onRemove,
  PRESENCE_BATCH: onPresenceBatch,
  DIRECTORY_ENTRY: onDirectoryEntry,
  SERVER_DELIVER: onServerDeliver,
  PUBLIC_CHANNEL_ADD: onChannelAdd,
  PUBLIC_CHANNEL_UPDATED: onChannelUpdated,
  PUBLIC_CHANNEL_KEY_SHARE: onKeyShare,
  // Consumed by mesh/handshake.ts before a link counts; afterwards a repeat means nothing.
  SERVER_CHALLENGE: () => {},
  SERVER_PROOF: () => {},
  // Liveness is any frame (PROTOCOL.md §4); never answer HEARTBEAT or ERROR.
  HEARTBEAT: () => {},
  ACK: () => {},
  ERROR: (f, c: MeshCall) =>
    c.ctx.log.warn(`server ${f.from} reported ${f.payload.code}: ${f.payload.detail.slice(0, 200)}`),
  CTRL_CLOSE: (_f, c) => c.link.close(1000, 'bye'),
} satisfies MeshHandlers
