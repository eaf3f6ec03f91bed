-- 0003_directory_shared_names: a username may be held by users of different home servers
-- (PROTOCOL.md §6). Mesh-wide uniqueness cannot be enforced against a racing or hostile server, so
-- a conflict never deletes, re-homes or re-keys anyone: both entries stay, clients qualify the name
-- by home server. The UNIQUE constraint goes; a home server still refuses a name it knows anywhere.
CREATE TABLE directory_new (
  user_id   TEXT PRIMARY KEY,
  username  TEXT NOT NULL CHECK (username = lower(username)),
  pubkey    TEXT NOT NULL,
  server_id TEXT NOT NULL,
  created   INTEGER NOT NULL
) STRICT;
INSERT INTO directory_new (user_id, username, pubkey, server_id, created)
  SELECT user_id, username, pubkey, server_id, created FROM directory;
DROP TABLE directory;
ALTER TABLE directory_new RENAME TO directory;
CREATE INDEX directory_by_server ON directory (server_id);
CREATE INDEX directory_by_name ON directory (username);
