-- PostgreSQL counterpart of ../0004_outbox_parts.sql.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
