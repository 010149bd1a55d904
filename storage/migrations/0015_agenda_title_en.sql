-- An agenda item's title in English, beside the Indonesian one in `title`. Items from a programme or a
-- suggested plan carry both languages (content/programs.yaml, the venues' names); a title staff typed has
-- none (NULL) and is shown to everyone as it was typed.
ALTER TABLE agenda_items ADD COLUMN title_en TEXT;
