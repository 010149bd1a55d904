-- Every update a platform handed over, written before the platform is told it arrived (the getUpdates
-- offset, a webhook's 200), and marked handled in the same transaction as its effects. The payload (what
-- the user sent, as an Incoming) is cleared once handled; the key stays a while so a redelivery is
-- recognised, and the daily job removes old handled rows.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    update_key  TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    payload     TEXT,
    received_at TEXT NOT NULL,
    handled_at  TEXT,
    UNIQUE (channel, update_key)
);
CREATE INDEX inbox_unhandled ON inbox (id) WHERE handled_at IS NULL;
