-- PostgreSQL counterpart of ../0015_contract_kinds.sql.
ALTER TABLE deals ADD COLUMN kind TEXT NOT NULL DEFAULT 'fixed'
    CHECK (kind IN ('fixed', 'milestones', 'hourly'));
