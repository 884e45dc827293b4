-- The inbox: every update from Telegram, stored before it is acknowledged (a webhook's 200,
-- or the next getUpdates offset), handled from here exactly once (bot/storage/inbox.py).
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,       -- Telegram's: a repeated delivery is stored once
    person_id   INTEGER NOT NULL,          -- whose turn it takes: the user, else the chat
    payload     TEXT NOT NULL,             -- the update's JSON, as Telegram sent it
    received_at INTEGER NOT NULL,
    handled_at  INTEGER,                   -- NULL until handled (with the handling's effects)
    handled_by  TEXT                       -- the runner that handled it (host:pid:n)
);
-- A person's unhandled updates, oldest first: the only rows the runner looks for.
CREATE INDEX inbox_unhandled ON inbox (person_id, update_id) WHERE handled_at IS NULL;
-- Handled rows leave after a while (pruning walks this, oldest first).
CREATE INDEX inbox_received ON inbox (received_at);

-- A person's turn: who handles that person's updates now, and until when, so that one
-- person's updates are handled one at a time in update_id order by whichever runner (of any
-- process on this database) holds the turn.
CREATE TABLE inbox_turns (
    person_id   INTEGER PRIMARY KEY,
    holder      TEXT NOT NULL,             -- the runner (host:pid:n)
    lease_until INTEGER NOT NULL           -- epoch seconds; renewed while the holder lives
);
CREATE INDEX inbox_turns_holder ON inbox_turns (holder);
