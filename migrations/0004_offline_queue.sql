-- Store-and-forward (issue 13, docs/wire.md §12): what a home server keeps for its offline users,
-- exactly as it would hand it over (still end-to-end encrypted), in arrival order.
CREATE TABLE offline_queue (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient  TEXT    NOT NULL,
  sender     TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  ts         INTEGER NOT NULL,
  payload    TEXT    NOT NULL,
  bytes      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX offline_queue_recipient ON offline_queue (recipient, seq);
CREATE INDEX offline_queue_sender ON offline_queue (sender);
CREATE INDEX offline_queue_expiry ON offline_queue (expires_at);
