-- Message history (issue 13): the recent conversation, for /history after a restart. Each entry's
-- text, names and direction are AES-256-GCM-sealed under a key derived from the password
-- (docs/wire.md §1: HKDF info "socp/v1/client-history"); only the peer id and time are in clear,
-- as the contacts table already holds whom we talked to. Bounded: the oldest go first.
CREATE TABLE history (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  peer   TEXT    NOT NULL,
  ts     INTEGER NOT NULL,
  sealed BLOB    NOT NULL
) STRICT;
CREATE INDEX history_by_peer ON history (peer, id);
