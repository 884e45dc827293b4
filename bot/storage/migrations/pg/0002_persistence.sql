-- PostgreSQL counterpart of ../0002_persistence.sql.

CREATE TABLE IF NOT EXISTS ptb_conversations (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key)
);

CREATE TABLE IF NOT EXISTS ptb_user_data (
    user_id BIGINT PRIMARY KEY,
    data    TEXT NOT NULL
);
