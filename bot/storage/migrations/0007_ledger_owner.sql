-- A person's balances in every currency they hold money in (/balance, /payout) are found by
-- owner; the account code only answers for one currency at a time.
CREATE INDEX ledger_accounts_owner ON ledger_accounts(owner_id, kind) WHERE owner_id IS NOT NULL;
