-- PostgreSQL counterpart of ../0007_ledger_owner.sql.
CREATE INDEX ledger_accounts_owner ON ledger_accounts(owner_id, kind) WHERE owner_id IS NOT NULL;
