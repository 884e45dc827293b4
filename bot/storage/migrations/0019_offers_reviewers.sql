-- Issue 14: direct offers and a QA reviewer.
--
-- A direct offer is a contract proposed to one person without a public job: by a client to
-- a freelancer, or by a freelancer to a past client (`sender_id` is the one who proposed;
-- the other one answers). Accepting it creates what a deal stands on: a job marked
-- `is_private` (born in state 'hiring', never 'open', so no public listing, search, alert,
-- channel post or inline answer ever shows it) and the freelancer's bid, already accepted.
-- `kind` and `terms` (JSON) keep what milestone and hourly offers will need; today's offers
-- are 'fixed' (amount in minor units of `currency`, `days` to deliver).
ALTER TABLE jobs ADD COLUMN is_private INTEGER NOT NULL DEFAULT 0;

CREATE TABLE offers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id     INTEGER NOT NULL,
    freelancer_id INTEGER NOT NULL,
    sender_id     INTEGER NOT NULL,
    kind          TEXT NOT NULL DEFAULT 'fixed' CHECK (kind IN ('fixed', 'milestones', 'hourly')),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    currency      TEXT NOT NULL,
    days          INTEGER NOT NULL CHECK (days > 0),
    terms         TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'accepted', 'declined', 'lapsed')),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    answered_at   INTEGER,
    deal_id       INTEGER REFERENCES deals(id),
    CHECK (client_id <> freelancer_id),
    CHECK (sender_id IN (client_id, freelancer_id))
);
CREATE INDEX offers_client ON offers(client_id, id);
CREATE INDEX offers_freelancer ON offers(freelancer_id, id);

-- One reviewer per contract, added by its client; access ends with the contract (the
-- deal's state says so) or when `left_at` is set.
CREATE TABLE deal_reviewers (
    deal_id     INTEGER PRIMARY KEY REFERENCES deals(id),
    reviewer_id INTEGER NOT NULL,
    added_at    INTEGER NOT NULL,
    left_at     INTEGER
);
CREATE INDEX deal_reviewers_reviewer ON deal_reviewers(reviewer_id, deal_id);

-- A reviewer's verdicts, newest last: the client sees the latest beside Release.
CREATE TABLE deal_verdicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id     INTEGER NOT NULL REFERENCES deals(id),
    reviewer_id INTEGER NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('pass', 'changes')),
    notes       TEXT NOT NULL DEFAULT '',
    files       TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL
);
CREATE INDEX deal_verdicts_deal ON deal_verdicts(deal_id, id);
