-- Staff answers saved as knowledge entries ("💾 Simpan sebagai jawaban bot"): searched with the reviewed content
-- until a reviewer turns them into content/knowledge/ files (`python -m bot faq export`). An entry keeps the
-- question's words only, never who asked: the desk's answer outlives the asker's /hapusdata, so the link to the
-- question it came from is cut (ON DELETE SET NULL) when the question is erased. An answer is written in one
-- language or both (answer_id, answer_en); `locale` is the language the question was asked in.
CREATE TABLE learned_answers (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('innovation', 'destination', 'logistics')),
    question            TEXT NOT NULL,
    locale              TEXT NOT NULL DEFAULT 'id',
    phrasings           TEXT NOT NULL DEFAULT '[]',  -- JSON list of other ways to ask the same
    answer_id           TEXT,
    answer_en           TEXT,
    themes              TEXT NOT NULL DEFAULT '[]',  -- JSON list of content/themes.yaml ids
    source_question_id  INTEGER REFERENCES questions(id) ON DELETE SET NULL,
    created_by          INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    retired_at          TEXT,
    revision            INTEGER NOT NULL DEFAULT 1,  -- +1 at every change of what is searched or shown
    uses                INTEGER NOT NULL DEFAULT 0,
    last_used_at        TEXT,
    CHECK (answer_id IS NOT NULL OR answer_en IS NOT NULL)
);
-- A question is saved as an entry once, whoever presses the button first.
CREATE UNIQUE INDEX learned_answers_once ON learned_answers (source_question_id) WHERE source_question_id IS NOT NULL;
