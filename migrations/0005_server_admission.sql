-- 0005_server_admission (issue 10, docs/security.md "Joins"): who let a server in, and whether it
-- ever answered at the address it claimed. A server that linked to us is `confirmed` only once we
-- dialed that address and it proved its key there; until then it is neither listed to joiners nor
-- redialed. `admitted_from` is the address group (IPv4, or an IPv6 /64) an incoming link came
-- from, so the servers one address may make us pin are counted. Rows from before this step were
-- pinned under the old rules and keep working: they count as confirmed.
ALTER TABLE servers ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1 CHECK (confirmed IN (0, 1));
ALTER TABLE servers ADD COLUMN admitted_from TEXT;
CREATE INDEX servers_by_pubkey ON servers (pubkey);
CREATE INDEX servers_by_origin ON servers (admitted_from) WHERE admitted_from IS NOT NULL;
