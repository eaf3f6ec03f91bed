-- 0002_server_tls: whether a pinned peer listens with TLS, so it is dialed at wss:// (docs/wire.md §9).
-- Sticky: once a peer was seen with TLS it is never dialed in the clear again (src/store/servers.ts).
ALTER TABLE servers ADD COLUMN tls INTEGER NOT NULL DEFAULT 0 CHECK (tls IN (0, 1));
