-- A deadline whose action keeps failing is retried with exponential backoff (`attempts`,
-- `retry_at`, `last_error`) and given up after a bound: state 'failed', kept for the audit,
-- the moderators told once (`alerted_at`). The due query skips a backed-off row, so a row
-- that keeps failing never holds back the ones due after it. The state's CHECK gains
-- 'failed', so the table is rebuilt (nothing references it).
CREATE TABLE deadlines_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending','done','cancelled','failed')),
    created_at INTEGER NOT NULL,
    done_at    INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,  -- runs that failed
    retry_at   INTEGER NOT NULL DEFAULT 0,  -- not run again before this (0: never failed)
    last_error TEXT,
    alerted_at INTEGER                      -- a 'failed' row: when the moderators were told
);
INSERT INTO deadlines_new (id, kind, subject_id, due_at, state, created_at, done_at)
    SELECT id, kind, subject_id, due_at, state, created_at, done_at FROM deadlines;
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'deadlines')
    WHERE name = 'deadlines_new' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'deadlines');
DROP TABLE deadlines;
ALTER TABLE deadlines_new RENAME TO deadlines;
CREATE UNIQUE INDEX deadlines_one_pending ON deadlines(kind, subject_id) WHERE state = 'pending';
CREATE INDEX deadlines_due ON deadlines(due_at, retry_at) WHERE state = 'pending';
CREATE INDEX deadlines_backed_off ON deadlines(retry_at) WHERE state = 'pending' AND retry_at > 0;
CREATE INDEX deadlines_failed ON deadlines(alerted_at) WHERE state = 'failed';

-- How far the bot has read a stream it reconciles with (its Star transactions, which
-- Telegram lists oldest first): `position` items have been looked at, the last of them
-- `last_id` (to recognise the same stream next time).
CREATE TABLE sync_marks (
    name       TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    last_id    TEXT,
    updated_at INTEGER NOT NULL
);
