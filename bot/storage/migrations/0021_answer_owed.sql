-- An update's answer still owed (bot/updates.py, bot/services/lost_answers.py): set in the
-- transaction that marks the update handled (its effects commit with it) when the handling
-- has yet to answer, cleared in the handling's closing transaction (the answer was sent, or
-- queued in the outbox, or there was none). One still set whose handler is gone (its
-- process died, its turn's lease ended) means the answer may never have left: the person
-- is told, once, through the outbox. NULL: nothing owed (every row before this migration).
-- answer_owed: epoch seconds it is owed since.
ALTER TABLE inbox ADD COLUMN answer_owed INTEGER;
CREATE INDEX inbox_owed ON inbox (update_id) WHERE answer_owed IS NOT NULL;
