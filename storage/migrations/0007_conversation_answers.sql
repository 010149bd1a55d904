-- The steps of a flow the user has answered, as a JSON list, so the flow engine knows what to ask next
-- without a "done" flag per step. NULL for a conversation saved before this version: the engine then takes
-- the steps before the current one as answered.
ALTER TABLE conversations ADD COLUMN answered TEXT;
