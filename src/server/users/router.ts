/** @module The user-link handler table: one entry per frame a client may send (STYLE.md §3). */

import type { UserHandlers } from './_types.ts'
import { onAuthHello, onAuthResponse, onRegister, onRekey } from './accounts.ts'
import { onFile, onMsgDirect, onPublic } from './delivery.ts'
import { onAck, onUserHello } from './hello.ts'
import { onUserLookup } from './lookup.ts'
import { onList, onLookup } from './roster.ts'

export const userHandlers = {
  USER_REGISTER: onRegister,
  AUTH_HELLO: onAuthHello,
  AUTH_RESPONSE: onAuthResponse,
  USER_HELLO: onUserHello,
  USER_REKEY: onRekey,
  MSG_DIRECT: onMsgDirect,
  MSG_PUBLIC_CHANNEL: onPublic,
  FILE_START: onFile,
  FILE_CHUNK: onFile,
  FILE_END: onFile,
  USER_LOOKUP: onUserLookup,
  LIST: onList,
  LOOKUP: onLookup,
  // Liveness and courtesy frames need no answer; never answer an ERROR (PROTOCOL.md §4).
  HEARTBEAT: () => {},
  ACK: onAck,
  ERROR: () => {},
  CTRL_CLOSE: (_f, { link }) => link.close(1000, 'bye'),
} satisfies UserHandlers
