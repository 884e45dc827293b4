-- The send budget several instances share (bot/pacing.py, bot/storage/budget.py): Telegram
-- counts a bot's messages across all its processes, so the slots are handed out here. One
-- row per budget: 'bot' (every send of the bot) and, made on first use, 'group:<chat id>'
-- (one group's or channel's sends). A budget's time is cut into fixed windows (window_no:
-- epoch milliseconds // the window's length); an instance claims tokens of the current
-- window with one conditional UPDATE, and they expire with it.
CREATE TABLE send_budget (
    name       TEXT PRIMARY KEY,
    window_no  INTEGER NOT NULL DEFAULT 0,  -- the window `used` counts in
    used       INTEGER NOT NULL DEFAULT 0,  -- tokens handed out in it
    granted    INTEGER NOT NULL DEFAULT 0   -- what the last claim got (its RETURNING)
);
INSERT INTO send_budget (name) VALUES ('bot');
