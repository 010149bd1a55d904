-- WhatsApp's 24-hour window and its delivery receipts.
--
-- chat_windows: when each chat last wrote to the bot. WhatsApp takes a free-form message only within 24 hours
-- of the user's last message; past that the bot sends an approved template instead (bot/channels/whatsapp.py).
-- Written with the inbox row, in the transaction that keeps a webhook's messages; erased with the user.
CREATE TABLE chat_windows (
    channel          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    last_inbound_at  TEXT,            -- NULL: the platform said the window is closed (a late 131047)
    PRIMARY KEY (channel, chat_id)
);

-- Two more ends of a message: 'held' (outside the window, a template went in its place and the full message
-- waits for the user's reply, with its recipient and content kept) and 'outside_window' (the platform refused
-- even that, or no template is configured: counted, not retried). SQLite changes a CHECK only by a rebuild.
CREATE TABLE outbox_new (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    ref               INTEGER,
    user_id           INTEGER REFERENCES users(id) ON DELETE CASCADE,
    channel           TEXT,
    chat_id           TEXT,
    locale            TEXT,
    payload           TEXT,
    origin_message_id TEXT,
    priority          INTEGER NOT NULL DEFAULT 1,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'dropped',
                                        'held', 'outside_window')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    claimed_at        TEXT,
    finished_at       TEXT,
    error             TEXT,
    delivered         TEXT,
    UNIQUE (kind, ref, user_id)
);
INSERT INTO outbox_new SELECT id, kind, ref, user_id, channel, chat_id, locale, payload, origin_message_id, priority,
    status, attempts, created_at, claimed_at, finished_at, error, delivered FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (priority, id) WHERE status = 'pending';
CREATE INDEX outbox_by_user ON outbox (user_id);
CREATE INDEX outbox_held ON outbox (channel, chat_id) WHERE status = 'held';

-- message_receipts: what the platform says of each message id it gave a send (sent < delivered < read, or
-- failed), and the outbox row the message belongs to. A receipt may come before the send is recorded
-- (then outbox_id is filled in when it is); rows go with their outbox row.
CREATE TABLE message_receipts (
    message_id  TEXT PRIMARY KEY,
    outbox_id   INTEGER REFERENCES outbox(id) ON DELETE CASCADE,
    receipt     TEXT CHECK (receipt IN ('sent', 'delivered', 'read', 'failed')),
    error_code  INTEGER,
    updated_at  TEXT NOT NULL
);
CREATE INDEX message_receipts_by_row ON message_receipts (outbox_id);
