-- Reminders are rows (the source of truth); the outbox holds every message waiting for the rate-limited sender.
CREATE TABLE reminder_prefs (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    muted         INTEGER NOT NULL DEFAULT 0,
    lead_minutes  INTEGER,                         -- NULL: the configured default
    updated_at    TEXT NOT NULL
);

CREATE TABLE reminders (
    id             INTEGER PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,           -- kind:user:item or kind:user:delegation:day
    kind           TEXT NOT NULL CHECK (kind IN ('evening', 'item', 'morning')),
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    delegation_id  INTEGER NOT NULL REFERENCES delegations(id) ON DELETE CASCADE,
    item_id        INTEGER REFERENCES agenda_items(id) ON DELETE CASCADE,
    day            TEXT,                           -- the local visit day it is about (evening, morning)
    due_at         TEXT NOT NULL,                  -- UTC
    useful_until   TEXT NOT NULL,                  -- UTC: after this a missed reminder is not sent
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'queued', 'missed', 'cancelled')),
    updated_at     TEXT NOT NULL
);
CREATE INDEX reminders_pending_due ON reminders (due_at) WHERE status = 'pending';
CREATE INDEX reminders_by_delegation ON reminders (delegation_id, status);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,                    -- what composes the message at send time: reminder, broadcast …
    ref          INTEGER NOT NULL,                 -- the row of that kind
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable', 'dropped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    claimed_at   TEXT,
    finished_at  TEXT,
    error        TEXT,
    UNIQUE (kind, ref, user_id)
);
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
