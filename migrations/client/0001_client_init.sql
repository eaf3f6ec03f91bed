-- The per-account client store (docs/security.md "client store"): one file per account under
-- $XDG_DATA_HOME/socp/<server>/<username>.sqlite. Append-only migrations, as for the server:
-- message history (issue 13) is a new file, 0002_history.sql, referencing contacts(user_id).

-- Exactly one row: whose store this is, and whether its KDF moved to client-owned parameters.
CREATE TABLE account (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  user_id      TEXT    NOT NULL,
  username     TEXT    NOT NULL,
  -- 1 once the account uses the username-derived salt: a server-chosen salt is refused from then on.
  kdf_migrated INTEGER NOT NULL DEFAULT 0 CHECK (kdf_migrated IN (0, 1)),
  created_at   INTEGER NOT NULL
) STRICT;

-- One pinned key per user id (trust on first use), with the name it was pinned under.
CREATE TABLE contacts (
  user_id        TEXT    PRIMARY KEY,
  username       TEXT    NOT NULL,
  server_id      TEXT    NOT NULL,
  pubkey         TEXT    NOT NULL,
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  -- Set by /verify after an out-of-band comparison; NULL = unverified (lines show a fingerprint).
  verified_at    INTEGER,
  -- Last DM, /all or file exchanged; NULL = never: such contacts are pruned first.
  last_messaged  INTEGER
) STRICT;
CREATE INDEX contacts_prune ON contacts (last_messaged, verified_at, last_seen);

-- Which ids a name is known to belong to: a new id under a bound name is a key change, not a
-- first sighting (PROTOCOL.md §6). A name may hold several ids only after /trust.
CREATE TABLE names (
  username  TEXT    NOT NULL,
  user_id   TEXT    NOT NULL REFERENCES contacts (user_id) ON DELETE CASCADE,
  bound_at  INTEGER NOT NULL,
  PRIMARY KEY (username, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX names_by_user ON names (user_id);

-- Content signatures already shown, keyed by SHA-256 of the decoded signature bytes.
CREATE TABLE replay (
  sig_hash  BLOB    PRIMARY KEY,
  seen_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX replay_age ON replay (seen_at);
