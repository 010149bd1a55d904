-- Wrong join codes are counted per platform identity, not per user row: /hapusdata detaches the account and
-- the next message starts a new user, so a count kept by user_id started afresh after every erasure. A row
-- holds a keyed hash of (channel, platform user id) and the time, nothing else: no user id, no typed code.
-- The old table's successful attempts and typed codes were never read; they go with it (the counts start
-- afresh once, at this upgrade).

-- Random keys made once per installation, on first use (Python's secrets module). 'join_identity' keys the
-- HMAC-SHA256 in join_failures.identity, so the hash of a known platform id cannot be computed without it.
CREATE TABLE install_keys (
    name  TEXT PRIMARY KEY,
    key   BLOB NOT NULL CHECK (length(key) >= 32)
);

CREATE TABLE join_failures (
    id        INTEGER PRIMARY KEY,
    identity  BLOB NOT NULL,  -- HMAC-SHA256(install_keys 'join_identity', channel NUL platform user id)
    at        TEXT NOT NULL
);
CREATE INDEX join_failures_by_identity ON join_failures (identity, at);
CREATE INDEX join_failures_by_time ON join_failures (at);

DROP TABLE join_attempts;
