/**
 * @module The public channel's persisted state (spec-notes §10–§11): its version and the
 * per-member wraps of the group key. The clear group key is never stored.
 */
import type { Database } from 'bun:sqlite'

/** One member of the public channel with its RSA-OAEP wrap of the current group key. */
export interface ChannelMember {
  memberId: string
  wrappedKey: string
  role: string | null
  addedAt: number | null
}

interface Row {
  member_id: string
  wrapped_key: string
  role: string | null
  added_at: number | null
}

const GROUP = 'public'

/** Builds the public-channel repository; its statements are prepared once here. */
export function channelRepo(db: Database) {
  const version = db.prepare<{ version: number }, [string]>('SELECT version FROM groups WHERE group_id = ?')
  const members = db.prepare<Row, [string]>(
    'SELECT member_id, wrapped_key, role, added_at FROM group_members WHERE group_id = ? ORDER BY member_id',
  )
  // The public channel has no owners or admins (spec-notes §11): every role is 'member'.
  // A re-wrap keeps the original added_at.
  const upsertMember = db.prepare<never, [string, string, string, number]>(
    `INSERT INTO group_members (group_id, member_id, role, wrapped_key, added_at) VALUES (?, ?, 'member', ?, ?)
     ON CONFLICT (group_id, member_id) DO UPDATE SET wrapped_key = excluded.wrapped_key`,
  )
  const deleteMember = db.prepare<never, [string, string]>(
    'DELETE FROM group_members WHERE group_id = ? AND member_id = ?',
  )
  const bump = db.prepare<{ version: number }, [string]>(
    'UPDATE groups SET version = version + 1 WHERE group_id = ? RETURNING version',
  )
  const raise = db.prepare<{ version: number }, [number, string]>(
    'UPDATE groups SET version = max(version, ?) WHERE group_id = ? RETURNING version',
  )

  const current = (): number => {
    const row = version.get(GROUP)
    // The 0001 migration inserts the row; its absence means the file was damaged.
    if (!row) throw new Error('public channel row is missing')
    return row.version
  }
  const bumped = (): number => bump.get(GROUP)?.version ?? current()

  const setMember = db.transaction((memberId: string, wrappedKey: string): number => {
    upsertMember.run(GROUP, memberId, wrappedKey, Date.now())
    return bumped()
  })
  const removeMember = db.transaction((memberId: string): number => {
    // Removing someone who is not a member is no leave, so the version stays.
    if (deleteMember.run(GROUP, memberId).changes === 0) return current()
    return bumped()
  })
  const applyUpdate = db.transaction(
    (v: number, wraps: readonly { memberId: string; wrappedKey: string }[]) => {
      for (const w of wraps) upsertMember.run(GROUP, w.memberId, w.wrappedKey, Date.now())
      return raise.get(v, GROUP)?.version ?? current()
    },
  )

  return {
    /** The persisted channel version. */
    version(): number {
      return current()
    },

    /** Every member with its wrap, sorted by member id. */
    members(): ChannelMember[] {
      return members.all(GROUP).map((r) => ({
        memberId: r.member_id,
        wrappedKey: r.wrapped_key,
        role: r.role,
        addedAt: r.added_at,
      }))
    },

    /** Adds a member or replaces its wrap, bumps the version and returns it (PROTOCOL.md §4: every join). */
    setMember(memberId: string, wrappedKey: string): number {
      return setMember(memberId, wrappedKey)
    },

    /** Removes a member, bumps the version and returns it; a non-member leaves it unchanged. */
    removeMember(memberId: string): number {
      return removeMember(memberId)
    },

    /** Raises the version to `v` if higher and returns it: versions converge to the highest seen. */
    raiseVersion(v: number): number {
      assertVersion(v)
      return raise.get(v, GROUP)?.version ?? current()
    },

    /**
     * Applies a PUBLIC_CHANNEL_UPDATED from a peer: stores its wraps without bumping, then raises
     * the version to the one it carries. One transaction, so a crash never leaves half the wraps.
     */
    applyUpdate(v: number, wraps: readonly { memberId: string; wrappedKey: string }[]): number {
      assertVersion(v)
      return applyUpdate(v, wraps)
    },
  }
}

export type ChannelRepo = ReturnType<typeof channelRepo>

/** A non-integer would fail the STRICT column anyway; fail early with a clear message. */
function assertVersion(v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`channel version must be a non-negative integer`)
}
