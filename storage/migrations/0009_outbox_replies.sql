-- The outbox carries every message now: the replies of a turn too, written in the turn's own transaction.
-- A reply keeps its recipient (the chat, the language, the user if known: staff named in the settings may
-- not have written yet) and the Reply itself as JSON; replies go before broadcasts and reminders.
CREATE TABLE outbox_new (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,                 -- reply, reminder, broadcast, broadcast_report
    ref               INTEGER,                       -- the row of that kind (none for a reply)
    user_id           INTEGER REFERENCES users(id) ON DELETE CASCADE,
    channel           TEXT,                          -- a reply's recipient …
    chat_id           TEXT,
    locale            TEXT,
    payload           TEXT,                          -- … and the Reply, cleared once settled
    origin_message_id TEXT,                          -- the message whose button was pressed (edited in place)
    priority          INTEGER NOT NULL DEFAULT 1,    -- 0: an answer someone is waiting for
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'dropped')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    claimed_at        TEXT,
    finished_at       TEXT,
    error             TEXT,
    UNIQUE (kind, ref, user_id)
);
INSERT INTO outbox_new (id, kind, ref, user_id, status, attempts, created_at, claimed_at, finished_at, error)
    SELECT id, kind, ref, user_id, status, attempts, created_at, claimed_at, finished_at, error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (priority, id) WHERE status = 'pending';
CREATE INDEX outbox_by_user ON outbox (user_id);
