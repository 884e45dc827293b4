-- A declined NDA is an answer kept like an accepted one: the freelancer's decline is final
-- for that bid, and a late or replayed "Accept" finds it.
ALTER TABLE bids ADD COLUMN nda_declined_at INTEGER;
