-- A contract is one fixed price paid at once (every deal before this), a fixed price in
-- milestones funded one at a time, or hourly work funded and settled week by week.
ALTER TABLE deals ADD COLUMN kind TEXT NOT NULL DEFAULT 'fixed'
    CHECK (kind IN ('fixed', 'milestones', 'hourly'));
