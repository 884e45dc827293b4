-- PostgreSQL counterpart of ../0020_miniapp_drafts.sql: the Mini App's job drafts, one a
-- person, the form as JSON text.
CREATE TABLE miniapp_drafts (
    user_id    BIGINT PRIMARY KEY REFERENCES users(id),
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL
);
