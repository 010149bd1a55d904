-- Questions the knowledge base could not answer, queued for host staff, and the staff's answers.
CREATE TABLE questions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    normalized   TEXT NOT NULL,
    locale       TEXT NOT NULL DEFAULT 'id',
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered')),
    asked_at     TEXT NOT NULL,
    answered_by  INTEGER REFERENCES users(id),
    answer       TEXT,
    answered_at  TEXT
);
CREATE INDEX questions_by_status ON questions (status, asked_at);
-- The same question from the same user is queued once while it is open.
CREATE UNIQUE INDEX questions_open_once ON questions (user_id, normalized) WHERE status = 'open';
