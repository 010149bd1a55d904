-- A delegation's plan: agenda items at venues, published to its members once staff are satisfied.
CREATE TABLE agenda_items (
    id            INTEGER PRIMARY KEY,
    delegation_id INTEGER NOT NULL REFERENCES delegations(id) ON DELETE CASCADE,
    uid           TEXT NOT NULL UNIQUE,            -- stable across edits, for calendar files
    starts_at     TEXT NOT NULL,                   -- UTC instant
    minutes       INTEGER NOT NULL CHECK (minutes BETWEEN 5 AND 720),
    venue_id      TEXT NOT NULL,
    title         TEXT NOT NULL,
    host_officer  TEXT,
    notes         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX agenda_by_delegation ON agenda_items (delegation_id, starts_at);
CREATE INDEX agenda_by_venue ON agenda_items (venue_id, starts_at);

ALTER TABLE delegations ADD COLUMN plan_published_at TEXT;
