-- Job alerts (issue 15): saved searches, the index a new job is matched through, what each
-- person was sent, and the daily count that ALERTS_PER_DAY caps. bot/domain/alerts.py has
-- the rules, bot/services/alerts.py the use cases.

-- A saved search. `words` is what the person typed (shown back to them), `terms` the words
-- compiled as /jobs reads them (bot/domain/alerts.py Terms, JSON). `min_budget` is in minor
-- units of `currency`: it only ever matches jobs priced in that currency.
CREATE TABLE alert_searches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    category   TEXT,                             -- a category id; NULL: any
    words      TEXT NOT NULL DEFAULT '',
    terms      TEXT NOT NULL DEFAULT '{}',
    min_budget INTEGER CHECK (min_budget IS NULL OR min_budget > 0),
    currency   TEXT,
    language   TEXT CHECK (language IS NULL OR language IN ('en', 'ru')),
    mode       TEXT NOT NULL CHECK (mode IN ('instant', 'digest')),
    created_at INTEGER NOT NULL,
    stopped_at INTEGER                           -- NULL while the search is live
);
CREATE INDEX alert_searches_user ON alert_searches(user_id, id);

-- The index: each live search under one key (its longest token, or '' when it has none) and
-- its category ('' for any), with what the lookup filters on and needs, so that a new job is
-- matched from this index alone (`alert_keys_lookup` covers the query): one range per token
-- prefix the job holds, whatever the number of searches. `exact` says the key is the whole
-- search (one word of one token, nothing else to check); otherwise `terms` is checked.
CREATE TABLE alert_keys (
    search_id  INTEGER PRIMARY KEY REFERENCES alert_searches(id),
    term       TEXT NOT NULL,
    category   TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    mode       TEXT NOT NULL,
    exact      INTEGER NOT NULL,
    terms      TEXT NOT NULL,                    -- '' when exact
    min_budget INTEGER,
    currency   TEXT,
    language   TEXT
);
-- Ordered by term then search id: a key and a window of ids are one range (the category is
-- filtered inside it), so a job costs one seek per key.
CREATE INDEX alert_keys_lookup ON alert_keys(term, search_id, category, user_id, mode, exact,
    min_budget, currency, language, terms);

-- One row per person and job alerted: a person hears of a job once, whichever of their
-- searches found it. A digest's jobs wait here ('queued') until their person's digest.
CREATE TABLE alert_deliveries (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    job_id     INTEGER NOT NULL REFERENCES jobs(id),
    search_id  INTEGER NOT NULL REFERENCES alert_searches(id),
    state      TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'dropped')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, job_id)
);
CREATE INDEX alert_deliveries_queued ON alert_deliveries(user_id, job_id) WHERE state = 'queued';

-- Alerts counted per person and UTC day (an instant alert or a job put in a digest is one).
CREATE TABLE alert_counts (
    user_id INTEGER NOT NULL,
    day     INTEGER NOT NULL,                    -- epoch seconds // 86400
    alerts  INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- A fan-out too large for the publish transaction goes on in batches (the `job_alerts`
-- deadline): the searches up to `after_search` are done.
CREATE TABLE alert_fanouts (
    job_id       INTEGER PRIMARY KEY REFERENCES jobs(id),
    after_search INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
