/**
 * @module Public-channel gossip from other servers (spec-notes §11): versions converge upward;
 * wraps and key shares are verified but nothing relies on them (PROTOCOL.md §5). Never relayed:
 * each server sends its own (PROTOCOL.md §4).
 */

import type { MeshCall, MeshFrame } from './_types.ts'

/**
 * Versions converge to the highest seen, so one forged jump to the top of the integer range would
 * stop the version from ever rising again; no honest server is this far ahead.
 */
const MAX_VERSION_STEP = 1_000_000

function plausibleVersion(call: MeshCall, v: number, from: string): boolean {
  if (v <= call.ctx.store.channel.version() + MAX_VERSION_STEP) return true
  call.ctx.log.warn(`refused public channel version ${v} from ${from}`)
  return false
}

export function onChannelAdd(f: MeshFrame<'PUBLIC_CHANNEL_ADD'>, call: MeshCall): void {
  if (!plausibleVersion(call, f.payload.if_version, f.from)) return
  call.ctx.store.channel.raiseVersion(f.payload.if_version)
}

export function onChannelUpdated(f: MeshFrame<'PUBLIC_CHANNEL_UPDATED'>, call: MeshCall): void {
  const { ctx } = call
  if (!plausibleVersion(call, f.payload.version, f.from)) return
  // Wraps only for the sender's own users, as the directory has them: a wrap for an unknown id
  // would add a member row per forged id, and one for another server's user (ours included) would
  // add or overwrite a row that only their home may speak for. Nothing relies on the wraps
  // (PROTOCOL.md §5: /all is per-member RSA); a peer's rows are the last wrap each home sent.
  const wraps = f.payload.wraps
    .filter((w) => ctx.store.directory.byId(w.member_id)?.serverId === f.from)
    .map((w) => ({ memberId: w.member_id, wrappedKey: w.wrapped_key }))
  ctx.store.channel.applyUpdate(f.payload.version, wraps)
}

/** Key shares carry nothing we rely on (PROTOCOL.md §5): verified, otherwise ignored. */
export function onKeyShare(): void {}
