-- A notification with attachments is several Telegram calls (the text, then each file). How
-- many of them went out is kept with the row, so that a retry after a failed file sends the
-- rest, not the text again.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
