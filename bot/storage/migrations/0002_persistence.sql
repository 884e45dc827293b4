-- python-telegram-bot persistence: where each person is in a flow, and the flow's draft.
-- Keys and values are JSON text; bot, chat and callback data are not stored.

CREATE TABLE IF NOT EXISTS ptb_conversations (
    name  TEXT NOT NULL,                 -- the ConversationHandler's name
    key   TEXT NOT NULL,                 -- JSON array of the conversation key, e.g. [chat, user]
    state TEXT NOT NULL,                 -- JSON of the state
    PRIMARY KEY (name, key)
);

CREATE TABLE IF NOT EXISTS ptb_user_data (
    user_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL                -- JSON object (flows keep only plain JSON types)
);
