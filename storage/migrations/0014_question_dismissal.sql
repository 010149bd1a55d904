-- Staff may dismiss a question (spam, answered by phone, not for the desk), with an optional reason the asker
-- is told. A question is closed once, answered or dismissed, and remembers who closed it and when, so a second
-- staff member coming to it late is told by whom. SQLite changes a CHECK only by a rebuild; the columns who
-- and when are renamed from answered_* to closed_* on the way, as they now serve both ends.
CREATE TABLE questions_new (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text            TEXT NOT NULL,
    normalized      TEXT NOT NULL,
    locale          TEXT NOT NULL DEFAULT 'id',
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'dismissed')),
    asked_at        TEXT NOT NULL,
    closed_by       INTEGER REFERENCES users(id),
    closed_at       TEXT,
    answer          TEXT,
    dismiss_reason  TEXT
);
INSERT INTO questions_new (id, user_id, text, normalized, locale, status, asked_at, closed_by, closed_at, answer)
    SELECT id, user_id, text, normalized, locale, status, asked_at, answered_by, answered_at, answer FROM questions;
DROP TABLE questions;
ALTER TABLE questions_new RENAME TO questions;
CREATE INDEX questions_by_status ON questions (status, asked_at);
-- The same question from the same user is queued once while it is open.
CREATE UNIQUE INDEX questions_open_once ON questions (user_id, normalized) WHERE status = 'open';
