-- Operating the marketplace: an audit trail of moderator and admin decisions, deleted
-- accounts, and the indexes that keep /metrics, /mydata and /deleteaccount cheap.

-- 1. The audit trail: who decided what, when and why. Append-only like the ledger.
--    actor_id  the moderator or admin (a Telegram user id); NULL = the operator, through the
--              environment (a configuration change noticed at start)
--    action    resolve, ban, unban, remove_job, payout_paid, config_changed
--    subject   what it is about: deal, user, job, payout, config (with subject_id)
--    user_id   the person it concerns, when one does (the banned user, the payout's owner,
--              the removed job's client); a resolved deal's parties are in `deals`
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor_id   INTEGER,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    subject_id INTEGER,
    user_id    INTEGER,
    reason     TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_subject ON audit_log(subject, subject_id, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, id) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_user ON audit_log(user_id, id) WHERE user_id IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;

-- 2. A deleted account: the person's row moves to an id no Telegram user has (2^53 and up)
--    with its profile erased, so that what others need (deals, feedback, the ledger) keeps
--    pointing at it and the Telegram user starts afresh (bot/storage/people.py).
ALTER TABLE users ADD COLUMN deleted_at INTEGER;

-- 3. /metrics at scrape time: outbox depth and the oldest pending row per lane (a count over
--    a range and a MIN at its start), and the money held per account kind and currency
--    (only accounts that hold something: running deals' escrow, not every deal's).
CREATE INDEX outbox_lane_pending ON outbox(lane, id) WHERE state = 'pending';
CREATE INDEX ledger_accounts_held ON ledger_accounts(kind, currency, balance) WHERE balance <> 0;

-- 4. A person's rows, found by person (/mydata reads them, /deleteaccount moves them).
CREATE INDEX messages_sender ON messages(sender_id);
CREATE INDEX messages_recipient ON messages(recipient_id);
CREATE INDEX deal_events_actor ON deal_events(actor_id) WHERE actor_id IS NOT NULL;
CREATE INDEX feedback_rater ON feedback(rater_id);
CREATE INDEX time_logs_user ON time_logs(user_id);
CREATE INDEX payments_payer ON payments(payer_id);
CREATE INDEX disputes_opener ON disputes(opened_by);
