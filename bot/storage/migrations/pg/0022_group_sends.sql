-- PostgreSQL counterpart of ../0022_group_sends.sql (read that file for what each column
-- is): the sends to one group inside its sliding window, for every instance. sent_at is
-- epoch milliseconds: BIGINT.
CREATE TABLE group_sends (
    chat     TEXT NOT NULL,
    sent_at  BIGINT NOT NULL
);
CREATE INDEX group_sends_chat ON group_sends (chat, sent_at);
