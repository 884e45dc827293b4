-- PostgreSQL counterpart of ../0005_nda_declined.sql.
ALTER TABLE bids ADD COLUMN nda_declined_at BIGINT;
