/**
 * @module What every handler may reach: the server's identity, store and logger, and its owners —
 * each the only writer of its tables (docs/architecture.md has the map).
 */

import type { Logger } from '../log.ts'
import type { ClientTls } from '../net/index.ts'
import type { Store } from '../store/index.ts'
import type { Admission } from './admission.ts'
import type { PresenceFeed } from './feed.ts'
import type { Identity } from './identity.ts'
import type { Addr, Link } from './link.ts'
import type { LogLimiter } from './loglimit.ts'
import type { Mailbox } from './mailbox.ts'
import type { Outbox } from './outbox.ts'
import type { Peers } from './peers.ts'
import type { Presence } from './presence.ts'
import type { Quota } from './quota.ts'
import type { SeenCache } from './seen.ts'
import type { LoginGuard } from './users/guard.ts'
import type { Work } from './work.ts'

export type Timing = { heartbeatMs: number; linkTimeoutMs: number; statusMs: number; helloTimeoutMs: number }

/** The socket edge's entry points; passed in, so outbound dials need not import the edge. */
export type LinkEvents = {
  message(link: Link, data: string | Buffer | ArrayBuffer | Uint8Array): void
  closed(link: Link): void
}

export type ServerContext = {
  readonly me: Identity
  readonly store: Store
  readonly log: Logger
  /** Rate-limited lines per cause and link, for anything a peer can provoke once per frame. */
  readonly logs: LogLimiter
  /**
   * `--allow-legacy-peers`: servers that cannot answer SERVER_CHALLENGE (other implementations) may
   * link, unauthenticated, as the operator chose (PROTOCOL.md §4). Off by default.
   */
  readonly allowLegacyPeers: boolean
  readonly timing: Timing
  /** The --peer introducers; a lost link to one is redialed with a join, which every server accepts. */
  readonly introducers: readonly Addr[]
  /** Where this server says it listens, as other servers should dial it. */
  readonly advertised: Addr
  /** What outgoing wss:// links trust (--ca, --insecure-skip-verify); undefined = the system store. */
  readonly dialTls: ClientTls | undefined
  readonly outbox: Outbox
  readonly peers: Peers
  readonly presence: Presence
  /** Presence changes in batches, and which clients hear which (src/server/feed.ts). */
  readonly feed: PresenceFeed
  readonly quota: Quota
  /** Which servers may join: the join secret, per-address budgets, address probes (admission.ts). */
  readonly admission: Admission
  /** Store-and-forward for offline home users (docs/wire.md §13). */
  readonly mailbox: Mailbox
  /** Loop and replay suppression (PROTOCOL.md §4). */
  readonly seen: SeenCache
  /** Login throttles and the argon2 pool (src/server/users/guard.ts). */
  readonly guard: LoginGuard
  readonly work: Work
  readonly events: LinkEvents
  /** Called whenever servers or users come or go, so the status line can be logged. */
  changed(): void
}
