-- 0001_init: the server's persistent state (SOCP v1.3 §15.1, spec-notes §10).
-- Every timestamp is Unix milliseconds, like the envelope's `ts`.
-- Secrets: privkey_store is the client's already-encrypted blob, pake_password an argon2id
-- verifier; the server's own key and secret are AES-256-GCM-wrapped under a key kept outside
-- this file (src/store/_seal.ts). No column ever holds a plaintext key or password.

-- Local accounts: the spec's columns plus what login needs (docs/wire.md §1–§3).
CREATE TABLE users (
  user_id       TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE CHECK (username = lower(username)),
  pubkey        TEXT NOT NULL,
  privkey_store TEXT NOT NULL,
  pake_password TEXT NOT NULL,
  kdf           TEXT NOT NULL,
  meta          TEXT,
  version       INTEGER NOT NULL DEFAULT 1,
  home_server   TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;

-- The replicated mesh-wide directory (docs/wire.md §5): local and remote users.
CREATE TABLE directory (
  user_id   TEXT PRIMARY KEY,
  username  TEXT NOT NULL UNIQUE CHECK (username = lower(username)),
  pubkey    TEXT NOT NULL,
  server_id TEXT NOT NULL,
  created   INTEGER NOT NULL
) STRICT;
CREATE INDEX directory_by_server ON directory (server_id);

-- Groups exactly as spec-notes §10; only the public channel exists in this profile.
CREATE TABLE groups (
  group_id   TEXT PRIMARY KEY,
  creator_id TEXT NOT NULL,
  created_at INTEGER,
  meta       TEXT,
  version    INTEGER NOT NULL
) STRICT;

CREATE TABLE group_members (
  group_id    TEXT NOT NULL REFERENCES groups (group_id) ON DELETE CASCADE,
  member_id   TEXT NOT NULL,
  role        TEXT,
  wrapped_key TEXT NOT NULL,
  added_at    INTEGER,
  PRIMARY KEY (group_id, member_id)
) STRICT;

-- spec-notes §10: group "public", creator "system", created_at = when this server joined.
INSERT INTO groups (group_id, creator_id, created_at, meta, version)
VALUES ('public', 'system', CAST(strftime('%s', 'now') AS INTEGER) * 1000, NULL, 0);

-- Peer servers pinned by id (PROTOCOL.md §4): another key for a known id is refused.
CREATE TABLE servers (
  server_id TEXT PRIMARY KEY,
  host      TEXT NOT NULL,
  port      INTEGER NOT NULL,
  pubkey    TEXT NOT NULL,
  pinned_at INTEGER NOT NULL,
  last_seen INTEGER
) STRICT;

-- This server's own identity: one row (id = 1), the private key and secret wrapped.
CREATE TABLE server_identity (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  server_id       TEXT NOT NULL,
  spki            TEXT NOT NULL,
  privkey_wrapped BLOB NOT NULL,
  secret_wrapped  BLOB NOT NULL,
  created_at      INTEGER NOT NULL
) STRICT;
