-- PostgreSQL counterpart of ../0006_outbox_queue.sql: the outbox as a queue of streams
-- (chat_id, lane), each with one head (see bot/storage/outbox.py). The columns, the lanes of
-- the rows already there, the partial indexes and outbox_sent are the same; the triggers
-- that keep each stream's head differ, because here writers are concurrent.
--
-- On SQLite a trigger picks the head at once: with one writer at a time, "no earlier pending
-- row of this stream" is true or false for good. Here two transactions adding to one stream,
-- or one adding while another sends the head, would each miss the other's uncommitted row:
-- two heads, or none (a stream stuck). So the head is chosen as the transaction commits,
-- holding the stream's lock: row triggers only note which streams a transaction touched (a
-- transaction-local setting, `outbox.streams`), and a deferred trigger, at COMMIT, takes
-- those streams' advisory locks (namespace 7101, bot.storage.pg.LOCKS) in one order (so two
-- committing transactions never wait for each other in a circle), then gives each stream
-- without a head its oldest pending row. A unique index holds it to one head per stream.

ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 2;
ALTER TABLE outbox ADD COLUMN stage TEXT DEFAULT 'queued'
    CHECK (stage IN ('queued', 'ready', 'waiting', 'claimed'));
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;

UPDATE outbox SET lane = CASE
    WHEN key LIKE 'reply.%' THEN 0
    WHEN method = 'refund_star' THEN 1
    WHEN key IN ('notify.job_nudge', 'notify.delivery_nudge', 'notify.review_nudge',
                 'notify.feedback_request', 'notify.feedback_received',
                 'notify.feedback_revealed', 'mod.sla_reminder', 'channel.job') THEN 3
    ELSE 2 END;
UPDATE outbox SET stage = NULL WHERE state <> 'pending';

CREATE INDEX outbox_stream ON outbox(chat_id, lane, id) WHERE state = 'pending';
CREATE INDEX outbox_ready ON outbox(lane, id) WHERE stage = 'ready';
CREATE INDEX outbox_waiting ON outbox(lane, next_attempt_at) WHERE stage = 'waiting';
CREATE INDEX outbox_leased ON outbox(lease_until) WHERE stage = 'claimed';
DROP INDEX outbox_pending;

UPDATE outbox SET stage = 'waiting'
 WHERE state = 'pending'
   AND id = (SELECT MIN(o.id) FROM outbox o WHERE o.state = 'pending'
             AND o.chat_id = outbox.chat_id AND o.lane = outbox.lane);

-- One head per stream (and how the commit finds whether a stream has one).
CREATE UNIQUE INDEX outbox_head ON outbox(chat_id, lane)
    WHERE stage IN ('ready', 'waiting', 'claimed');

-- A row leaving 'pending' leaves its stream (SQLite: the first half of outbox_next_head).
CREATE FUNCTION outbox_leave_stream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.stage := NULL;
    NEW.claimed_by := NULL;
    NEW.lease_until := NULL;
    RETURN NEW;
END
$$;
CREATE TRIGGER outbox_leave_stream BEFORE UPDATE OF state ON outbox FOR EACH ROW
    WHEN (OLD.state = 'pending' AND NEW.state <> 'pending')
    EXECUTE FUNCTION outbox_leave_stream();

-- Note the stream of a row that joins it (inserted pending) or leaves it (no longer pending,
-- or deleted while pending).
CREATE FUNCTION outbox_touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r outbox;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
    ELSE
        r := NEW;
    END IF;
    PERFORM set_config('outbox.streams',
        coalesce(current_setting('outbox.streams', true), '') || r.chat_id || ':' || r.lane || ',',
        true);
    RETURN NULL;
END
$$;
CREATE TRIGGER outbox_touch_insert AFTER INSERT ON outbox FOR EACH ROW
    WHEN (NEW.state = 'pending') EXECUTE FUNCTION outbox_touch();
CREATE TRIGGER outbox_touch_leave AFTER UPDATE OF state ON outbox FOR EACH ROW
    WHEN (OLD.state = 'pending' AND NEW.state <> 'pending') EXECUTE FUNCTION outbox_touch();
CREATE TRIGGER outbox_touch_delete AFTER DELETE ON outbox FOR EACH ROW
    WHEN (OLD.state = 'pending') EXECUTE FUNCTION outbox_touch();

-- At COMMIT (the first of the deferred events does the work for all): lock the touched
-- streams in the order of their lock keys, then give each stream without a head its oldest
-- pending row, ready when it was due at once, else waiting (as SQLite's triggers do).
CREATE FUNCTION outbox_settle() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched text := current_setting('outbox.streams', true);
    s record;
BEGIN
    IF touched IS NULL OR touched = '' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('outbox.streams', '', true);
    FOR s IN
        SELECT DISTINCT hashtext(k) AS h
          FROM unnest(string_to_array(rtrim(touched, ','), ',')) AS k ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(7101, s.h);
    END LOOP;
    FOR s IN
        SELECT DISTINCT split_part(k, ':', 1)::bigint AS chat, split_part(k, ':', 2)::integer AS lane
          FROM unnest(string_to_array(rtrim(touched, ','), ',')) AS k
    LOOP
        IF NOT EXISTS (SELECT 1 FROM outbox WHERE chat_id = s.chat AND lane = s.lane
                       AND stage IN ('ready', 'waiting', 'claimed')) THEN
            UPDATE outbox
               SET stage = CASE WHEN next_attempt_at <= created_at THEN 'ready' ELSE 'waiting' END
             WHERE id = (SELECT o.id FROM outbox o WHERE o.state = 'pending'
                         AND o.chat_id = s.chat AND o.lane = s.lane ORDER BY o.id LIMIT 1)
               AND stage = 'queued';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER outbox_settle_insert AFTER INSERT ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.state = 'pending') EXECUTE FUNCTION outbox_settle();
CREATE CONSTRAINT TRIGGER outbox_settle_leave AFTER UPDATE OF state ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state = 'pending' AND NEW.state <> 'pending') EXECUTE FUNCTION outbox_settle();
CREATE CONSTRAINT TRIGGER outbox_settle_delete AFTER DELETE ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state = 'pending') EXECUTE FUNCTION outbox_settle();

CREATE INDEX outbox_message ON outbox(chat_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX outbox_ref ON outbox(ref, chat_id)
    WHERE ref IS NOT NULL AND message_id IS NOT NULL AND state = 'sent';
CREATE INDEX outbox_created ON outbox(created_at);

CREATE TABLE outbox_sent (
    id         BIGINT PRIMARY KEY,
    chat_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    key        TEXT NOT NULL,
    ref        TEXT,
    params     TEXT NOT NULL DEFAULT '{}',
    sent_at    BIGINT
);
CREATE INDEX outbox_sent_message ON outbox_sent(chat_id, message_id);
CREATE INDEX outbox_sent_ref ON outbox_sent(ref, chat_id) WHERE ref IS NOT NULL;

CREATE INDEX trials_bid ON trials(bid_id, id);
CREATE INDEX payouts_user ON payouts(user_id, id);
CREATE INDEX messages_bid ON messages(bid_id, id);
CREATE INDEX disputes_deal ON disputes(deal_id, id);
