-- The options last offered in a chat as numbered lines (a channel without enough buttons, WhatsApp past ten
-- options): a typed "2" or "1, 3, 5" picks them. One row per chat, replaced by the next numbered list, so the
-- number always means what the person last saw; erased with the user.
CREATE TABLE numbered_choices (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    actions     TEXT NOT NULL,  -- JSON list of the options' actions, in the order they were numbered
    offered_at  TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);
