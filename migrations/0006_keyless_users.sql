-- 0006_keyless_users (docs/security.md, "Hostile servers"): users of other implementations whose
-- server advertised them without a key. The first server to advertise one is theirs, as a
-- directory entry fixes a keyed user's home; kept on disk, so neither a restart nor a flood of
-- made-up users makes us forget whose they are. A row goes when the user's first key is pinned
-- (they then have a directory entry). Each row takes one of its server's user slots.
CREATE TABLE keyless_users (
  user_id    TEXT PRIMARY KEY,
  username   TEXT NOT NULL,
  server_id  TEXT NOT NULL,
  first_seen INTEGER NOT NULL
) STRICT;
CREATE INDEX keyless_users_by_server ON keyless_users (server_id);
