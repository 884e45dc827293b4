-- Milestones (issue 14): a fixed price in parts, funded one at a time. A bid proposes the
-- plan (deal_id NULL until the client hires); the hire copies the contract's total into the
-- deal and the plan becomes the contract's. The deal row keeps the live cycle of the one
-- 'current' milestone (funding, delivery, review, dispute) exactly as a fixed deal's; a
-- milestone row records the plan and, once settled, where its money went.
--   pending:  not offered yet; proposed: added by the client, the freelancer not yet agreed;
--   current:  the one being funded, worked on or reviewed (its live state is the deal's);
--   released, split, refunded: settled (paid + fee + returned = amount once funded);
--   cancelled: the contract ended before it was funded.
CREATE TABLE milestones (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    bid_id     INTEGER NOT NULL REFERENCES bids(id),
    deal_id    INTEGER REFERENCES deals(id),
    position   INTEGER NOT NULL CHECK (position >= 1),
    title      TEXT NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    state      TEXT NOT NULL CHECK (state IN ('pending','proposed','current','released',
                 'split','refunded','cancelled')),
    charge_id  TEXT,
    paid       INTEGER NOT NULL DEFAULT 0,  -- to the freelancer, less the fee
    fee        INTEGER NOT NULL DEFAULT 0,
    returned   INTEGER NOT NULL DEFAULT 0,  -- back to the client
    created_at INTEGER NOT NULL,
    funded_at  INTEGER,
    ended_at   INTEGER
);
CREATE UNIQUE INDEX milestones_position ON milestones(bid_id, position);
CREATE INDEX milestones_deal ON milestones(deal_id, position);
-- At most one milestone of a contract is current, and at most one is proposed.
CREATE UNIQUE INDEX milestones_one_current ON milestones(bid_id) WHERE state = 'current';
CREATE UNIQUE INDEX milestones_one_proposed ON milestones(bid_id) WHERE state = 'proposed';
