-- Tracker kinds and secret names are the registry's to validate (`Trackers.all`, each tracker's ConnectionSpec):
-- the checks below no longer enumerate them, so adding a tracker needs no migration. They keep the shape only.
ALTER TABLE ticket_sync.connections DROP CONSTRAINT IF EXISTS connections_kind_check;
ALTER TABLE ticket_sync.connections ADD CONSTRAINT connections_kind_check
    CHECK (kind ~ '^[a-z][a-z0-9_]{0,31}$');
ALTER TABLE ticket_sync.connection_secrets DROP CONSTRAINT IF EXISTS connection_secrets_field_check;
ALTER TABLE ticket_sync.connection_secrets ADD CONSTRAINT connection_secrets_field_check
    CHECK (field ~ '^[a-z][a-z0-9_]{0,63}$');
