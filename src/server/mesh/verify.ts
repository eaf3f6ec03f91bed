/**
 * @module Server-frame verification: which key checks which frame (PROTOCOL.md §3.1, §4). Hellos
 * prove possession of the key they carry, which must match any key already pinned to that id;
 * everything else verifies against the pinned key of its origin `from`.
 */

import { importPublicKey, type PublicKey, verifyPayload } from '../../crypto/index.ts'
import { showFingerprint, wsUrl } from '../../net/index.ts'
import type { ServerToServerFrame } from '../../protocol/index.ts'
import type { ServerContext } from '../context.ts'
import { keyFingerprint } from '../keys.ts'
import type { Link } from '../link.ts'
import { brand, type Verified } from '../verified.ts'

type MeshType = ServerToServerFrame['type']

/** Frames that carry the key they are signed with. */
const SELF_KEYED: ReadonlySet<MeshType> = new Set<MeshType>([
  'SERVER_HELLO_JOIN',
  'SERVER_HELLO_LINK',
  'SERVER_ANNOUNCE',
  'SERVER_WELCOME',
])
/** Frames only the peer at the other end of this link may originate. */
const DIRECT_ONLY: ReadonlySet<MeshType> = new Set<MeshType>([
  'HEARTBEAT',
  'ACK',
  'ERROR',
  'CTRL_CLOSE',
  'SERVER_WELCOME',
])

export type VerifyResult<F> = { ok: true; frame: Verified<F>; key: PublicKey } | { ok: false; reason: string }

function carriedKey(f: ServerToServerFrame): string | null {
  if (f.type === 'SERVER_WELCOME') return f.payload.pubkey
  if (f.type === 'SERVER_HELLO_JOIN' || f.type === 'SERVER_HELLO_LINK' || f.type === 'SERVER_ANNOUNCE')
    return f.payload.pubkey
  return null
}

/** The pinned key of a server, imported once (importPublicKey caches by text). */
export function pinnedKey(ctx: ServerContext, serverId: string): PublicKey | null {
  const pinned = ctx.store.servers.get(serverId)
  return pinned ? importPublicKey(pinned.pubkey) : null
}

/**
 * A link we dialed to an address the operator pinned a key for (`--peer …#sha256:`): any other key
 * answering there is refused loudly and the link closed, before anything it says is pinned.
 */
export function operatorPinHolds(ctx: ServerContext, link: Link, key: PublicKey): boolean {
  const target = link.direction === 'out' ? link.server?.target : null
  if (!target?.fingerprint) return true
  const got = keyFingerprint(key)
  if (got === target.fingerprint) return true
  ctx.log.error(
    `refused ${wsUrl({ ...target, tls: target.tls ?? false })}: it presented key ${showFingerprint(got)}, ` +
      `but --peer pins ${showFingerprint(target.fingerprint)} (nothing pinned, no link)`,
  )
  link.close(4003, 'not the pinned key')
  return false
}

export function verifyServerFrame<F extends ServerToServerFrame>(
  ctx: ServerContext,
  link: Link,
  f: F,
  raw: Record<string, unknown>,
): VerifyResult<F> {
  if (DIRECT_ONLY.has(f.type) && link.peerId !== null && f.from !== link.peerId) {
    return { ok: false, reason: `${f.type} from ${f.from} arrived on the link of ${link.peerId}` }
  }
  let key: PublicKey | null
  if (SELF_KEYED.has(f.type)) {
    const text = carriedKey(f)
    if (!text) return { ok: false, reason: `${f.type} carries no key` }
    try {
      key = importPublicKey(text)
    } catch {
      return { ok: false, reason: `${f.type} carries a weak or unreadable key` }
    }
    const pinned = pinnedKey(ctx, f.from)
    // A join with a taken id gets a new id instead (PROTOCOL.md §4); any other re-key is refused.
    if (pinned && pinned.spki !== key.spki && f.type !== 'SERVER_HELLO_JOIN') {
      return { ok: false, reason: `${f.type} would re-key pinned server ${f.from}` }
    }
    if (!operatorPinHolds(ctx, link, key)) return { ok: false, reason: `${f.type}: not the pinned key` }
  } else {
    key = pinnedKey(ctx, f.from)
    if (!key) return { ok: false, reason: `${f.type} from unknown server ${f.from}` }
  }
  if (!f.sig || !verifyPayload(key, raw, f.sig, true))
    return { ok: false, reason: `${f.type} from ${f.from}: bad signature` }
  return { ok: true, frame: brand(f), key }
}
