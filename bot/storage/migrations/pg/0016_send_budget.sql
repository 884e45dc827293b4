-- PostgreSQL counterpart of ../0016_send_budget.sql (read that file for what each column
-- is): the send budget the instances share. window_no counts windows since the epoch: BIGINT.
CREATE TABLE send_budget (
    name       TEXT PRIMARY KEY,
    window_no  BIGINT NOT NULL DEFAULT 0,
    used       INTEGER NOT NULL DEFAULT 0,
    granted    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO send_budget (name) VALUES ('bot');
