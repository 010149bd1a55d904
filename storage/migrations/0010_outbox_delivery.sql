-- What the platform accepted of a message: the ids it gave each step (the parts of a long text, a file, a
-- map), saved as each is accepted, so a message cut short by a kill resumes after the last step accepted
-- instead of sending it all again. Notices to other chats (priority 1) now go after the answers a person
-- waits for (0) and before broadcasts and reminders (2).
ALTER TABLE outbox ADD COLUMN delivered TEXT;
UPDATE outbox SET priority = 2 WHERE priority = 1;
