-- The marketplace core. Times are epoch seconds (UTC); money is integer minor units.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,            -- Telegram user id
    username         TEXT,
    first_name       TEXT NOT NULL DEFAULT '',
    language         TEXT,
    locale_override  TEXT,
    bio              TEXT NOT NULL DEFAULT '',
    skills           TEXT NOT NULL DEFAULT '',
    experience_years INTEGER,
    portfolio        TEXT NOT NULL DEFAULT '[]',
    created_at       INTEGER NOT NULL,
    banned           INTEGER NOT NULL DEFAULT 0,
    ban_reason       TEXT,
    unreachable      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_username ON users(lower(username));

CREATE TABLE jobs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id          INTEGER NOT NULL REFERENCES users(id),
    category           TEXT NOT NULL,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    answers            TEXT NOT NULL DEFAULT '{}',
    budget_min         INTEGER NOT NULL CHECK (budget_min > 0),
    budget_max         INTEGER NOT NULL CHECK (budget_max >= budget_min),
    currency           TEXT NOT NULL,
    deadline_at        INTEGER NOT NULL,
    brief              TEXT,
    nda_required       INTEGER NOT NULL DEFAULT 0,
    nda_text           TEXT,
    files              TEXT NOT NULL DEFAULT '[]',
    state              TEXT NOT NULL CHECK (state IN
                         ('open','hiring','in_progress','completed','closed','expired','removed')),
    created_at         INTEGER NOT NULL,
    bidding_ends_at    INTEGER NOT NULL,
    closed_at          INTEGER,
    channel_message_id INTEGER
);
CREATE INDEX jobs_state_created ON jobs(state, id DESC);
CREATE INDEX jobs_client ON jobs(client_id, id DESC);

CREATE TABLE bids (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id          INTEGER NOT NULL REFERENCES jobs(id),
    freelancer_id   INTEGER NOT NULL REFERENCES users(id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    days            INTEGER NOT NULL CHECK (days BETWEEN 1 AND 365),
    cover           TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('active','accepted','declined','withdrawn')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    shortlisted_at  INTEGER,
    nda_accepted_at INTEGER,
    decline_reason  TEXT
);
-- One live bid per freelancer per job.
CREATE UNIQUE INDEX bids_one_live ON bids(job_id, freelancer_id)
    WHERE state IN ('active','accepted');
CREATE INDEX bids_job ON bids(job_id, state);
CREATE INDEX bids_freelancer ON bids(freelancer_id, id DESC);

CREATE TABLE deals (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id              INTEGER NOT NULL REFERENCES jobs(id),
    bid_id              INTEGER NOT NULL REFERENCES bids(id),
    client_id           INTEGER NOT NULL REFERENCES users(id),
    freelancer_id       INTEGER NOT NULL REFERENCES users(id),
    amount              INTEGER NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL,
    days                INTEGER NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('awaiting_funding','funded','delivered',
                          'disputed','released','refunded','split','cancelled')),
    revisions           INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    funding_ends_at     INTEGER,
    funded_at           INTEGER,
    due_at              INTEGER,
    delivered_at        INTEGER,
    review_ends_at      INTEGER,
    ended_at            INTEGER,
    cancel_requested_at INTEGER,
    charge_id           TEXT
);
-- At most one deal of a job that is not cancelled.
CREATE UNIQUE INDEX deals_one_per_job ON deals(job_id) WHERE state <> 'cancelled';
CREATE INDEX deals_client ON deals(client_id, id DESC);
CREATE INDEX deals_freelancer ON deals(freelancer_id, id DESC);
CREATE INDEX deals_state ON deals(state);

-- Everything that happened to a deal, for the card, the timeline and the moderators.
CREATE TABLE deal_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    actor_id   INTEGER,
    kind       TEXT NOT NULL,
    text       TEXT NOT NULL DEFAULT '',
    files      TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);
CREATE INDEX deal_events_deal ON deal_events(deal_id, id);

-- Telegram payments, applied at most once per charge id.
CREATE TABLE payments (
    charge_id          TEXT PRIMARY KEY,
    provider_charge_id TEXT,
    deal_id            INTEGER NOT NULL REFERENCES deals(id),
    payer_id           INTEGER NOT NULL,
    amount             INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    outcome            TEXT NOT NULL CHECK (outcome IN ('funded','refunded')),
    created_at         INTEGER NOT NULL
);

CREATE TABLE disputes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id         INTEGER NOT NULL REFERENCES deals(id),
    opened_by       INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    opened_at       INTEGER NOT NULL,
    respond_by      INTEGER NOT NULL,
    resolved_at     INTEGER,
    resolved_by     INTEGER,
    outcome         TEXT CHECK (outcome IN ('release','refund','split')),
    percent         INTEGER,
    note            TEXT,
    card_message_id INTEGER
);
CREATE UNIQUE INDEX disputes_one_open ON disputes(deal_id) WHERE resolved_at IS NULL;

CREATE TABLE feedback (
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    rater_id   INTEGER NOT NULL,
    ratee_id   INTEGER NOT NULL,
    stars      INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment    TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (deal_id, rater_id)
);
CREATE INDEX feedback_ratee ON feedback(ratee_id);

CREATE TABLE time_logs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    user_id    INTEGER NOT NULL,
    minutes    INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX time_logs_deal ON time_logs(deal_id);

CREATE TABLE payouts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    currency   TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending','paid')),
    created_at INTEGER NOT NULL,
    paid_at    INTEGER,
    paid_by    INTEGER
);
CREATE INDEX payouts_state ON payouts(state, id);

CREATE TABLE favourites (
    client_id     INTEGER NOT NULL,
    freelancer_id INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (client_id, freelancer_id)
);

-- A question about a job (/ask) or a private thread between a client and one bidder (/msg).
CREATE TABLE messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     INTEGER NOT NULL REFERENCES jobs(id),
    bid_id     INTEGER REFERENCES bids(id),
    sender_id  INTEGER NOT NULL,
    recipient_id INTEGER NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX messages_job ON messages(job_id, id);

-- Double-entry ledger. Accounts hold a cached balance kept in step with the entries.
CREATE TABLE ledger_accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code           TEXT NOT NULL UNIQUE,   -- user:42:XTR, escrow:7, fees:XTR, world_in:XTR ...
    kind           TEXT NOT NULL CHECK (kind IN ('user','escrow','fees','payable','world_in','world_out')),
    currency       TEXT NOT NULL,
    owner_id       INTEGER,               -- user id or deal id
    may_go_negative INTEGER NOT NULL DEFAULT 0,
    balance        INTEGER NOT NULL DEFAULT 0,
    CHECK (may_go_negative = 1 OR balance >= 0)
);

CREATE TABLE ledger_transactions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,             -- fund, release, refund, split, payout, payout_paid ...
    deal_id     INTEGER,
    payout_id   INTEGER,
    memo        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX ledger_transactions_deal ON ledger_transactions(deal_id);

CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions(id),
    account_id     INTEGER NOT NULL REFERENCES ledger_accounts(id),
    amount         INTEGER NOT NULL CHECK (amount <> 0),   -- + credit to the account, - debit
    currency       TEXT NOT NULL
);
CREATE INDEX ledger_entries_txn ON ledger_entries(transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries(account_id);

CREATE TRIGGER ledger_transactions_no_update BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_transactions_no_delete BEFORE DELETE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only'); END;

-- Notifications and Telegram side effects, written in the transaction that causes them.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    method          TEXT NOT NULL DEFAULT 'send',  -- send | edit | invoice | refund_star | ...
    chat_id         INTEGER NOT NULL,
    key             TEXT NOT NULL,                 -- message key, rendered at send time
    params          TEXT NOT NULL DEFAULT '{}',
    ref             TEXT,                          -- what the message is about (deal:5, job:3)
    state           TEXT NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending','sent','failed','gave_up')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    message_id      INTEGER,
    error           TEXT
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE state = 'pending';

-- Every deadline lives here; the scheduler (re)schedules from this table.
CREATE TABLE deadlines (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','done','cancelled')),
    created_at INTEGER NOT NULL,
    done_at    INTEGER
);
CREATE UNIQUE INDEX deadlines_one_pending ON deadlines(kind, subject_id) WHERE state = 'pending';
CREATE INDEX deadlines_due ON deadlines(due_at) WHERE state = 'pending';

-- An unpaid proof of concept asked of a shortlisted bidder before hiring.
CREATE TABLE trials (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    bid_id     INTEGER NOT NULL REFERENCES bids(id),
    task       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('requested','accepted','declined','submitted')),
    result     TEXT,
    files      TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX trials_one_open ON trials(bid_id) WHERE state IN ('requested','accepted');
