-- The outbox as a queue (see bot/storage/outbox.py for the design).
--
-- A pending row belongs to a stream, (chat_id, lane): a stream's rows go out one at a time in
-- id order. `stage` says where a pending row is in its stream; NULL once it is not pending.
--   queued   behind an earlier pending row of its stream
--   ready    its stream's head, due now: the claim takes these, in (lane, id) order
--   waiting  its stream's head, not before next_attempt_at (a retry, a deferral, a delay)
--   claimed  its stream's head, being sent by `claimed_by` until lease_until
ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 2;
ALTER TABLE outbox ADD COLUMN stage TEXT DEFAULT 'queued'
    CHECK (stage IN ('queued', 'ready', 'waiting', 'claimed'));
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;

-- Lanes of the rows already there (the table in bot/storage/outbox.py as of this migration).
UPDATE outbox SET lane = CASE
    WHEN key LIKE 'reply.%' THEN 0
    WHEN method = 'refund_star' THEN 1
    WHEN key IN ('notify.job_nudge', 'notify.delivery_nudge', 'notify.review_nudge',
                 'notify.feedback_request', 'notify.feedback_received',
                 'notify.feedback_revealed', 'mod.sla_reminder', 'channel.job') THEN 3
    ELSE 2 END;
UPDATE outbox SET stage = NULL WHERE state <> 'pending';

-- The streams, their heads, the claim's queue and the timers. Each is partial, so that its
-- size is what it serves (pending rows; heads), not the table's.
CREATE INDEX outbox_stream ON outbox(chat_id, lane, id) WHERE state = 'pending';
CREATE INDEX outbox_ready ON outbox(lane, id) WHERE stage = 'ready';
CREATE INDEX outbox_waiting ON outbox(lane, next_attempt_at) WHERE stage = 'waiting';
CREATE INDEX outbox_leased ON outbox(lease_until) WHERE stage = 'claimed';
DROP INDEX outbox_pending;

-- Each stream's head among the rows already there waits for the first claim to look at it.
UPDATE outbox SET stage = 'waiting'
 WHERE state = 'pending'
   AND id = (SELECT MIN(o.id) FROM outbox o WHERE o.state = 'pending'
             AND o.chat_id = outbox.chat_id AND o.lane = outbox.lane);

-- A new row heads its stream when nothing of the stream is pending before it: ready when it
-- is due at once, waiting when it was queued with a delay.
CREATE TRIGGER outbox_head_on_insert AFTER INSERT ON outbox
WHEN NEW.state = 'pending'
BEGIN
    UPDATE outbox
       SET stage = CASE WHEN NEW.next_attempt_at <= NEW.created_at THEN 'ready'
                        ELSE 'waiting' END
     WHERE id = NEW.id
       AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.state = 'pending'
                       AND o.chat_id = NEW.chat_id AND o.lane = NEW.lane AND o.id < NEW.id);
END;

-- A row leaving 'pending' (sent, given up, failed; however it is written) hands its stream to
-- the next pending row.
CREATE TRIGGER outbox_next_head AFTER UPDATE OF state ON outbox
WHEN OLD.state = 'pending' AND NEW.state <> 'pending'
BEGIN
    UPDATE outbox SET stage = NULL, claimed_by = NULL, lease_until = NULL WHERE id = NEW.id;
    UPDATE outbox
       SET stage = CASE WHEN next_attempt_at <= created_at THEN 'ready' ELSE 'waiting' END
     WHERE id = (SELECT o.id FROM outbox o WHERE o.state = 'pending'
                 AND o.chat_id = NEW.chat_id AND o.lane = NEW.lane ORDER BY o.id LIMIT 1)
       AND stage = 'queued';
END;

-- A pending row deleted (nothing in the bot does; a hand-made fix might) hands its stream on too.
CREATE TRIGGER outbox_next_head_on_delete AFTER DELETE ON outbox
WHEN OLD.state = 'pending'
BEGIN
    UPDATE outbox
       SET stage = CASE WHEN next_attempt_at <= created_at THEN 'ready' ELSE 'waiting' END
     WHERE id = (SELECT o.id FROM outbox o WHERE o.state = 'pending'
                 AND o.chat_id = OLD.chat_id AND o.lane = OLD.lane ORDER BY o.id LIMIT 1)
       AND stage = 'queued';
END;

-- What a reply to a sent message and the edit of a card look up.
CREATE INDEX outbox_message ON outbox(chat_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX outbox_ref ON outbox(ref, chat_id)
    WHERE ref IS NOT NULL AND message_id IS NOT NULL AND state = 'sent';
-- Pruning finds old rows by age.
CREATE INDEX outbox_created ON outbox(created_at);

-- What is kept of a sent row once it is pruned (OUTBOX_RETENTION): enough to know what a
-- reply answers (find_by_message) and which message a card's edit targets (sent_message).
-- `params` keeps only the numbers (ids) of the row's parameters, never a person's text.
CREATE TABLE outbox_sent (
    id         INTEGER PRIMARY KEY,  -- the outbox row's id
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    key        TEXT NOT NULL,
    ref        TEXT,
    params     TEXT NOT NULL DEFAULT '{}',
    sent_at    INTEGER
);
CREATE INDEX outbox_sent_message ON outbox_sent(chat_id, message_id);
CREATE INDEX outbox_sent_ref ON outbox_sent(ref, chat_id) WHERE ref IS NOT NULL;

-- Lookups by a parent that had no index.
CREATE INDEX trials_bid ON trials(bid_id, id);
CREATE INDEX payouts_user ON payouts(user_id, id);
CREATE INDEX messages_bid ON messages(bid_id, id);
CREATE INDEX disputes_deal ON disputes(deal_id, id);
