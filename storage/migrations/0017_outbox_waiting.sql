-- The rows not settled yet, by what they send: after each copy of a broadcast is settled the sender asks whether
-- any other copy still waits (core.broadcasts.report_when_done), which without this index counted all its rows.
-- The WHERE is written as storage.outbox.any_waiting writes it, so SQLite uses the index for it.
CREATE INDEX outbox_waiting ON outbox (kind, ref) WHERE status IN ('pending', 'sending');
