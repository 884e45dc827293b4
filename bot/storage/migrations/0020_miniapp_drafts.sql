-- The Mini App's job drafts (issue 17): the post-a-job form as the person left it, so that it
-- survives closing the app. One draft a person; `data` is the form as JSON (the same fields
-- as the chat flow's draft, bot/flows/post_job.py); files attached to it are in `data` too.
CREATE TABLE miniapp_drafts (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at INTEGER NOT NULL
);
