-- PostgreSQL counterpart of ../0003_jobs_search.sql: /jobs with words, over the titles and
-- descriptions of the jobs open for bids, as a tsvector with a partial GIN index (FTS5 there).
--
-- The same rule on both sides of @@: `jobs_fts_text` folds a text the way the index and the
-- query both see it: accents removed (unaccent: café -> cafe, Ё -> Е, ß -> ss), lower case
-- in every script (Cyrillic included), and everything that is not a letter or a digit a
-- separator, so that a word is a run of letters and digits as for FTS5's unicode61 (the
-- default parser's e-mail, host and URL tokens never form). The `simple` configuration
-- keeps every word (no stop words, no stemming). `jobs_fts_query` makes each query word a
-- prefix phrase (`e-mail` -> 'e' <-> 'mail':*, as FTS5's "e-mail"*), and ANDs the words.
-- User text never reaches the tsquery syntax: it is folded to letters, digits and spaces,
-- and each token is a quoted literal.
--
-- The index is partial (state = 'open') over an expression, so, like the FTS5 table, it
-- holds the open jobs only, and nothing needs triggers: a job enters and leaves it with its
-- state. JobsRepo.search_open queries it through Dialect.open_jobs_matching.

-- The functions resolve names through the search_path in force now (SET search_path FROM
-- CURRENT), so that they work the same in an index build, a query, and pg_restore (which
-- runs with an empty search_path).
CREATE EXTENSION IF NOT EXISTS unaccent;

-- lower() and the [:alnum:] class follow the database's LC_CTYPE: with "C" (bytes) neither
-- knows Cyrillic, and the search would silently miss. Refuse such a database.
DO $$
BEGIN
    IF lower('ЁЖ') <> 'ёж' OR 'Ж' !~ '^[[:alnum:]]$' THEN
        RAISE EXCEPTION 'the database''s LC_CTYPE does not know Cyrillic letters: create it with'
            ' a UTF-8 locale (ENCODING ''UTF8'' LC_CTYPE ''C.UTF-8''), see the README';
    END IF;
END
$$;

CREATE FUNCTION jobs_fts_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT
AS $$
    SELECT btrim(regexp_replace(lower(unaccent('unaccent'::regdictionary, t)),
                                '[^[:alnum:]]+', ' ', 'g'))
$$;

CREATE FUNCTION jobs_fts_document(title text, description text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT
AS $$
    SELECT to_tsvector('simple'::regconfig, jobs_fts_text(title) || ' ' || jobs_fts_text(description))
$$;

-- NULL (matching nothing) when a word has no letter or digit left once folded: the caller
-- sends only words that have one (a word of punctuation is matched as a substring).
CREATE FUNCTION jobs_fts_query(words text[]) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT
AS $$
DECLARE
    w text;
    folded text;
    phrases text[] := '{}';
BEGIN
    FOREACH w IN ARRAY words LOOP
        folded := jobs_fts_text(w);
        IF folded = '' THEN
            RETURN NULL;
        END IF;
        phrases := phrases || ('(' || array_to_string(ARRAY(
            SELECT quote_literal(tok) FROM unnest(string_to_array(folded, ' ')) AS tok
        ), ' <-> ') || ':*)');
    END LOOP;
    IF cardinality(phrases) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN to_tsquery('simple'::regconfig, array_to_string(phrases, ' & '));
END
$$;

CREATE INDEX jobs_fts ON jobs USING gin (jobs_fts_document(title, description))
    WHERE state = 'open';

-- /jobs with a category and no words: open jobs of one category, newest first.
CREATE INDEX jobs_state_category ON jobs(state, category, id DESC);
