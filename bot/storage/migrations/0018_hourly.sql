-- Hourly contracts (issue 14): a bid may be hourly (its amount is the rate per hour, this
-- table its weekly limit); a deal of kind 'hourly' has its terms here and runs week by week.
-- Weeks start on Monday 00:00 UTC (`starts_at`); each is funded with its limit (rate x limit,
-- less the contract's free credit) when it starts, logged in `hourly_entries`, and settled
-- once: approved by the client or by silence, or decided by a moderator.
CREATE TABLE hourly_bids (
    bid_id         INTEGER PRIMARY KEY REFERENCES bids(id),
    weekly_minutes INTEGER NOT NULL CHECK (weekly_minutes > 0)
);

CREATE TABLE hourly_contracts (
    deal_id        INTEGER PRIMARY KEY REFERENCES deals(id),
    rate           INTEGER NOT NULL CHECK (rate > 0),          -- minor units per hour
    weekly_minutes INTEGER NOT NULL CHECK (weekly_minutes > 0),
    ended_at       INTEGER,                                    -- either party ended it
    ended_by       INTEGER
);

CREATE TABLE hourly_weeks (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id        INTEGER NOT NULL REFERENCES deals(id),
    starts_at      INTEGER NOT NULL,                           -- Monday 00:00 UTC
    state          TEXT NOT NULL CHECK (state IN ('awaiting_funding', 'funded', 'unfunded',
                     'review', 'disputed', 'approved', 'resolved')),
    limit_amount   INTEGER NOT NULL CHECK (limit_amount > 0),  -- the most the week pays
    invoice_amount INTEGER NOT NULL DEFAULT 0,                 -- asked of the client
    charge_id      TEXT,                                       -- the payment that funded it
    funded_at      INTEGER,
    closes_at      INTEGER NOT NULL,                           -- logging ends
    edit_ends_at   INTEGER NOT NULL,
    review_ends_at INTEGER NOT NULL,
    minutes        INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0),  -- logged
    paid           INTEGER NOT NULL DEFAULT 0,                 -- to the freelancer, fee included
    fee            INTEGER NOT NULL DEFAULT 0,
    dispute_id     INTEGER REFERENCES disputes(id),
    settled_at     INTEGER,
    settled_by     INTEGER,                                    -- NULL: approved by silence
    UNIQUE (deal_id, starts_at),
    CHECK (paid <= limit_amount)
);
CREATE INDEX hourly_weeks_state ON hourly_weeks(state, deal_id);

CREATE TABLE hourly_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    week_id    INTEGER NOT NULL REFERENCES hourly_weeks(id),
    deal_id    INTEGER NOT NULL REFERENCES deals(id),
    user_id    INTEGER NOT NULL,
    minutes    INTEGER NOT NULL CHECK (minutes >= 0),          -- 0: edited away
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX hourly_entries_week ON hourly_entries(week_id, id);
