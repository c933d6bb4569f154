-- Two-way status: the tracker's workflow moves the link and the evidence request.
-- Adding nullable columns without a default only changes the catalog (no table rewrite, a brief lock).
ALTER TABLE ticket_sync.ticket_links
    ADD COLUMN closed_by               text CHECK (closed_by IN ('user', 'tracker')),
    ADD COLUMN tracker_status          text,         -- the tracker's status name, as last applied
    ADD COLUMN tracker_status_category text,         -- new | indeterminate | done
    ADD COLUMN tracker_status_at       timestamptz,  -- the tracker's time of that change: older events are ignored
    ADD COLUMN tracker_error           text;         -- e.g. "Deleted in Jira by …": the link shows sync_state error

-- Links closed before this migration were closed here, by a user.
UPDATE ticket_sync.ticket_links SET closed_by = 'user' WHERE closed_at IS NOT NULL;

-- The thread's system entries: status changes from the tracker ("Resolved in Jira by …"), never pushed out.
ALTER TABLE ticket_sync.comments DROP CONSTRAINT comments_source_check;
ALTER TABLE ticket_sync.comments ADD CONSTRAINT comments_source_check
    CHECK (source IN ('internal', 'external', 'system'));
