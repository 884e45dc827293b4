-- The sends to groups and channels several instances share (bot/pacing.py,
-- bot/storage/budget.py): Telegram lets a bot send about 20 messages a minute to one group,
-- counted across all its processes. One row per send still inside the sliding window
-- (chat: the chat id or @name as text; sent_at: epoch milliseconds). A claim locks the
-- group's row in send_budget ('group:<chat>'), forgets the sends older than the window,
-- and adds its own only while fewer than the limit remain. A 429 for a group fills its
-- window up to when Telegram allows the next send.
CREATE TABLE group_sends (
    chat     TEXT NOT NULL,
    sent_at  INTEGER NOT NULL
);
CREATE INDEX group_sends_chat ON group_sends (chat, sent_at);
