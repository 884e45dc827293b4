-- PostgreSQL counterpart of ../0008_deadline_retries.sql: the retry columns, the 'failed'
-- state (SQLite rebuilds the table to change a CHECK; here it is an ALTER), the due index
-- over (due_at, retry_at), and sync_marks.
ALTER TABLE deadlines DROP CONSTRAINT deadlines_state_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_state_check
    CHECK (state IN ('pending','done','cancelled','failed'));
ALTER TABLE deadlines ADD COLUMN attempts   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deadlines ADD COLUMN retry_at   BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deadlines ADD COLUMN last_error TEXT;
ALTER TABLE deadlines ADD COLUMN alerted_at BIGINT;
DROP INDEX deadlines_due;
CREATE INDEX deadlines_due ON deadlines(due_at, retry_at) WHERE state = 'pending';
CREATE INDEX deadlines_backed_off ON deadlines(retry_at) WHERE state = 'pending' AND retry_at > 0;
CREATE INDEX deadlines_failed ON deadlines(alerted_at) WHERE state = 'failed';

CREATE TABLE sync_marks (
    name       TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    last_id    TEXT,
    updated_at BIGINT NOT NULL
);
