-- A user who deleted their data (/hapusdata): the row stays, scrubbed, so anonymous counts keep their joins.
ALTER TABLE users ADD COLUMN erased_at TEXT;
CREATE INDEX delegations_to_scrub ON delegations (departure_date) WHERE personal_data_removed_at IS NULL;
