-- PostgreSQL counterpart of ../0021_answer_owed.sql (read that file for what the column
-- means): an update's answer still owed, epoch seconds as BIGINT.
ALTER TABLE inbox ADD COLUMN answer_owed BIGINT;
CREATE INDEX inbox_owed ON inbox (update_id) WHERE answer_owed IS NOT NULL;
