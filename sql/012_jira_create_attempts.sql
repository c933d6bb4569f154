-- A reservation's ownership and its tracker attempts.
-- creating_token: a fresh token per reserve and per take-over. Completing, failing or dropping a reservation names it,
-- so a create that outlived its lease (and was taken over) can no longer write over the create that took over.
-- tracker_attempt_at: when a create last started asking the tracker to make the ticket. A resumed create on a tracker
-- whose search lags (Jira Cloud) waits until that attempt's ticket can be found before it may make one.
-- Nullable columns without a default: a catalog change only.
ALTER TABLE ticket_sync.ticket_links
    ADD COLUMN creating_token     uuid,
    ADD COLUMN tracker_attempt_at timestamptz;
