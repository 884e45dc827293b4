-- Full-text search for /jobs with words (SQLite FTS5), over the titles and descriptions of
-- the jobs that are open for bids: the only ones /jobs lists.
--
-- An external-content table: the text lives once, in `jobs`; the index holds the tokens of
-- open jobs only, so its size follows what is open now (a week of jobs), not every job ever
-- posted, and a prefix query (`"log"*`, whose matches FTS5 gathers in full before it can
-- hand out the newest) stays cheap however large `jobs` grows. Triggers keep it in step: a
-- job enters the index when it is posted open or goes back to open (an unpaid deal
-- cancelled), and leaves it when it stops being open or its text changes (then re-enters).
-- unicode61 folds case in every script (Cyrillic included) and, with remove_diacritics 2,
-- matches `cafe` to `café`. JobsRepo.search_open queries it, each word a quoted prefix.
--
-- Never run the 'rebuild' command on it: that would index every job from `jobs`, open or
-- not. To rebuild, 'delete-all' and insert the open jobs again, as the last statement does.

CREATE VIRTUAL TABLE jobs_fts USING fts5(
    title,
    description,
    content = 'jobs',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs WHEN new.state = 'open'
BEGIN
    INSERT INTO jobs_fts (rowid, title, description) VALUES (new.id, new.title, new.description);
END;

CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs WHEN old.state = 'open'
BEGIN
    INSERT INTO jobs_fts (jobs_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
END;

-- One trigger for both halves, so the old tokens always leave before the new ones enter.
CREATE TRIGGER jobs_fts_update AFTER UPDATE OF state, title, description ON jobs
    WHEN old.state = 'open' OR new.state = 'open'
BEGIN
    INSERT INTO jobs_fts (jobs_fts, rowid, title, description)
        SELECT 'delete', old.id, old.title, old.description WHERE old.state = 'open';
    INSERT INTO jobs_fts (rowid, title, description)
        SELECT new.id, new.title, new.description WHERE new.state = 'open';
END;

-- The jobs open when this migration runs.
INSERT INTO jobs_fts (rowid, title, description)
    SELECT id, title, description FROM jobs WHERE state = 'open';

-- /jobs with a category and no words: open jobs of one category, newest first.
CREATE INDEX jobs_state_category ON jobs(state, category, id DESC);
