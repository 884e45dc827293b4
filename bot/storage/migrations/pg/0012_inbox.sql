-- PostgreSQL counterpart of ../0012_inbox.sql (read that file for what each column is): the
-- inbox of updates from Telegram and each person's turn. Telegram's ids and times are
-- BIGINT. Intake and release lock a person's `inbox_turns` row (bot/storage/inbox.py), so
-- that an update stored while its person's turn is being given back is never left waiting.

CREATE TABLE inbox (
    update_id   BIGINT PRIMARY KEY,
    person_id   BIGINT NOT NULL,
    payload     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    handled_at  BIGINT,
    handled_by  TEXT
);
CREATE INDEX inbox_unhandled ON inbox (person_id, update_id) WHERE handled_at IS NULL;
CREATE INDEX inbox_received ON inbox (received_at);

CREATE TABLE inbox_turns (
    person_id   BIGINT PRIMARY KEY,
    holder      TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
CREATE INDEX inbox_turns_holder ON inbox_turns (holder);
