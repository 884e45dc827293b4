-- Refunds as two-phase money movements. A Stars refund is a call to Telegram that may be
-- refused or never answered, so the money is not "out" until Telegram confirms it: it waits
-- in a `refund_pending` account (one per currency), and `refunds` records each refund.
--
-- 1. ledger_accounts gets the new kind in its CHECK, which SQLite changes only by rebuilding
--    the table. ledger_entries references it, and with foreign keys on (PRAGMA foreign_keys
--    cannot change inside the migration's transaction) dropping the old accounts table would
--    orphan every entry; so the entries are copied too, into a table that references the new
--    accounts table, and the renames put both back under their names. Every id, balance and
--    row stays as it was (and each table's AUTOINCREMENT counter); the append-only triggers
--    and the indexes are recreated.

CREATE TABLE ledger_accounts_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code           TEXT NOT NULL UNIQUE,   -- user:42:XTR, escrow:7:XTR, refund_pending:XTR ...
    kind           TEXT NOT NULL CHECK (kind IN ('user','escrow','fees','payable','world_in',
                     'world_out','refund_pending')),
    currency       TEXT NOT NULL,
    owner_id       INTEGER,               -- user id or deal id
    may_go_negative INTEGER NOT NULL DEFAULT 0,
    balance        INTEGER NOT NULL DEFAULT 0,
    CHECK (may_go_negative = 1 OR balance >= 0)
);
INSERT INTO ledger_accounts_new (id, code, kind, currency, owner_id, may_go_negative, balance)
    SELECT id, code, kind, currency, owner_id, may_go_negative, balance FROM ledger_accounts;

CREATE TABLE ledger_entries_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions(id),
    account_id     INTEGER NOT NULL REFERENCES ledger_accounts_new(id),
    amount         INTEGER NOT NULL CHECK (amount <> 0),   -- + credit to the account, - debit
    currency       TEXT NOT NULL
);
INSERT INTO ledger_entries_new (id, transaction_id, account_id, amount, currency)
    SELECT id, transaction_id, account_id, amount, currency FROM ledger_entries;

-- Keep the counters (a rolled-back insert may have left them above the largest id).
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
    (SELECT seq FROM sqlite_sequence WHERE name = 'ledger_accounts'), 0))
    WHERE name = 'ledger_accounts_new';
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
    (SELECT seq FROM sqlite_sequence WHERE name = 'ledger_entries'), 0))
    WHERE name = 'ledger_entries_new';

DROP TABLE ledger_entries;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_new RENAME TO ledger_accounts;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;

CREATE INDEX ledger_entries_txn ON ledger_entries(transaction_id);
-- (0007's index went with the old table.)
CREATE INDEX ledger_accounts_owner ON ledger_accounts(owner_id, kind) WHERE owner_id IS NOT NULL;
CREATE INDEX ledger_entries_account ON ledger_entries(account_id);
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;

-- 2. Each refund made outside the books: pending until Telegram answers, then confirmed (the
--    money left through world_out) or failed (credited to the payer's balance and queued as
--    `payout_id` for the moderators). One per charge: Telegram refunds a charge once.
CREATE TABLE refunds (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    payer_id   INTEGER NOT NULL,
    charge_id  TEXT NOT NULL UNIQUE,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    currency   TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending','confirmed','failed')),
    created_at INTEGER NOT NULL,
    settled_at INTEGER,
    error      TEXT,
    payout_id  INTEGER REFERENCES payouts(id)
);
CREATE INDEX refunds_pending ON refunds(created_at) WHERE state = 'pending';
CREATE INDEX refunds_payer ON refunds(payer_id, state);

-- 3. Refunds made before this migration moved the money to world_out at once. Those Telegram
--    has not confirmed (a refund_star row still pending, or one that failed and was only
--    logged, with no sent row for its charge) are pending refunds again: the money goes back
--    from world_out into refund_pending, and a failed one is queued anew, so the dispatcher
--    settles it like any other (a charge Telegram did refund answers CHARGE_ALREADY_REFUNDED
--    and is confirmed).
CREATE TEMP TABLE legacy_refunds AS
    SELECT p.charge_id AS charge_id, p.deal_id AS deal_id, p.payer_id AS payer_id,
           p.amount AS amount, p.currency AS currency,
           (SELECT MIN(q.created_at) FROM outbox q WHERE q.method = 'refund_star'
              AND q.state = 'pending'
              AND json_extract(q.params, '$.charge_id') = p.charge_id) AS pending_since
    FROM payments p
    WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.method = 'refund_star'
                    AND o.state IN ('pending', 'failed', 'gave_up')
                    AND json_extract(o.params, '$.charge_id') = p.charge_id)
      AND NOT EXISTS (SELECT 1 FROM outbox s WHERE s.method = 'refund_star' AND s.state = 'sent'
                    AND json_extract(s.params, '$.charge_id') = p.charge_id);

INSERT INTO refunds (deal_id, payer_id, charge_id, amount, currency, state, created_at)
    SELECT deal_id, payer_id, charge_id, amount, currency, 'pending',
           COALESCE(pending_since, CAST(strftime('%s', 'now') AS INTEGER))
    FROM legacy_refunds ORDER BY charge_id;

INSERT OR IGNORE INTO ledger_accounts (code, kind, currency, owner_id, may_go_negative, balance)
    SELECT DISTINCT 'refund_pending:' || currency, 'refund_pending', currency, NULL, 0, 0
    FROM legacy_refunds;

INSERT INTO ledger_transactions (kind, deal_id, payout_id, memo, created_at)
    SELECT 'refund_reopened', r.deal_id, NULL, r.charge_id, CAST(strftime('%s', 'now') AS INTEGER)
    FROM refunds r JOIN legacy_refunds l ON l.charge_id = r.charge_id ORDER BY r.id;

INSERT INTO ledger_entries (transaction_id, account_id, amount, currency)
    SELECT t.id, a.id, -r.amount, r.currency
    FROM ledger_transactions t JOIN refunds r ON r.charge_id = t.memo
    JOIN ledger_accounts a ON a.code = 'world_out:' || r.currency
    WHERE t.kind = 'refund_reopened' ORDER BY t.id;
INSERT INTO ledger_entries (transaction_id, account_id, amount, currency)
    SELECT t.id, a.id, r.amount, r.currency
    FROM ledger_transactions t JOIN refunds r ON r.charge_id = t.memo
    JOIN ledger_accounts a ON a.code = 'refund_pending:' || r.currency
    WHERE t.kind = 'refund_reopened' ORDER BY t.id;

UPDATE ledger_accounts SET balance = balance + (
    SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e
    JOIN ledger_transactions t ON t.id = e.transaction_id
    WHERE t.kind = 'refund_reopened' AND e.account_id = ledger_accounts.id)
    WHERE kind IN ('world_out', 'refund_pending');

INSERT INTO outbox (method, chat_id, key, params, ref, next_attempt_at, created_at)
    SELECT 'refund_star', payer_id, 'refund_star',
           json_object('charge_id', charge_id, 'deal', deal_id), 'deal:' || deal_id,
           CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)
    FROM legacy_refunds WHERE pending_since IS NULL ORDER BY charge_id;

DROP TABLE legacy_refunds;
