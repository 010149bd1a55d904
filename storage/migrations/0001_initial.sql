-- Users of every channel, delegations, their participants, conversation state and the audit log.
-- Times are ISO-8601 UTC text; dates of visits are ISO dates in the host's time zone.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    language      TEXT NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    role          TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'staff', 'admin')),
    blocked_at    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (channel, external_id)
);

CREATE TABLE delegations (
    id              INTEGER PRIMARY KEY,
    join_code       TEXT NOT NULL UNIQUE,
    coordinator_id  INTEGER NOT NULL REFERENCES users(id),
    institution     TEXT NOT NULL,
    province_code   TEXT NOT NULL,
    head_name       TEXT NOT NULL,
    head_position   TEXT NOT NULL,
    planned_size    INTEGER NOT NULL CHECK (planned_size BETWEEN 1 AND 300),
    mode            TEXT NOT NULL CHECK (mode IN ('onsite', 'virtual')),
    arrival_date    TEXT NOT NULL,
    departure_date  TEXT NOT NULL,
    topics          TEXT NOT NULL DEFAULT '[]',
    topics_note     TEXT,
    contact_name    TEXT NOT NULL,
    contact_phone   TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK (departure_date >= arrival_date)
);
CREATE INDEX delegations_by_coordinator ON delegations (coordinator_id);
CREATE INDEX delegations_by_arrival ON delegations (arrival_date);

CREATE TABLE participants (
    id             INTEGER PRIMARY KEY,
    delegation_id  INTEGER NOT NULL REFERENCES delegations(id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    name           TEXT NOT NULL,
    position       TEXT NOT NULL,
    unit           TEXT,
    joined_at      TEXT NOT NULL,
    UNIQUE (delegation_id, user_id)
);
CREATE INDEX participants_by_user ON participants (user_id);

-- A half-finished conversation: which flow, which step, and the answers so far (JSON).
CREATE TABLE conversations (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    flow        TEXT NOT NULL,
    step        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL
);

CREATE TABLE join_attempts (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_tried  TEXT NOT NULL,
    succeeded   INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX join_attempts_by_user ON join_attempts (user_id, at);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor_id      INTEGER REFERENCES users(id),
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    INTEGER,
    detail        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_subject ON audit_log (subject_type, subject_id);
