-- Buttons that do the thing, and buttons that follow the state (issue 12).

-- What a person was asked to type by a button ("Message", "Request changes", "Dispute",
-- "Ask", "Add evidence"...): their next message is the answer. One per person; kept in the
-- database (not in a process's memory) so that every instance of the bot sees it.
CREATE TABLE pending_inputs (
    user_id           INTEGER PRIMARY KEY,
    chat_id           INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    target            INTEGER NOT NULL,      -- the bid, job or deal it is about
    prompt_message_id INTEGER,               -- the bot's question (a reply to it answers it)
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL
);

-- Messages whose buttons depend on the state of a deal, bid or job (`ref`: deal:5, bid:7,
-- job:3, and bids:3 for a client's list of a job's bids), whether the outbox sent them (`source_row`) or a handler answered with them.
-- When that state changes, the buttons are drawn again (`view` and `params` say how) and,
-- where they differ from `digest`, the message's keyboard alone is edited.
CREATE TABLE keyboards (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ref        TEXT NOT NULL,
    view       TEXT NOT NULL,
    params     TEXT NOT NULL DEFAULT '{}',
    digest     TEXT NOT NULL,
    source_row INTEGER,
    updated_at INTEGER NOT NULL,
    UNIQUE (chat_id, message_id)
);
CREATE INDEX keyboards_ref ON keyboards(ref);
CREATE INDEX keyboards_source ON keyboards(source_row) WHERE source_row IS NOT NULL;
CREATE INDEX keyboards_age ON keyboards(updated_at);

