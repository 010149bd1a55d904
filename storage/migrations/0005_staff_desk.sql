-- The staff desk: proposed dates, broadcasts, and the removal of personal data after a retention period.
ALTER TABLE delegations ADD COLUMN proposed_arrival TEXT;
ALTER TABLE delegations ADD COLUMN proposed_departure TEXT;
ALTER TABLE delegations ADD COLUMN decision_note TEXT;
ALTER TABLE delegations ADD COLUMN personal_data_removed_at TEXT;

CREATE TABLE broadcasts (
    id              INTEGER PRIMARY KEY,
    author_id       INTEGER NOT NULL REFERENCES users(id),
    audience        TEXT NOT NULL,                 -- delegation | date | coordinators | participants | everyone
    audience_ref    TEXT,                          -- the delegation id or the date, when the audience needs one
    text            TEXT NOT NULL,
    recipients      INTEGER NOT NULL,
    skipped         INTEGER NOT NULL DEFAULT 0,    -- known to have blocked the bot: not sent
    created_at      TEXT NOT NULL,
    reported_at     TEXT
);
