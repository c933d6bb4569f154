-- A tracker's own internal id beside the human one: Jira's numeric issue id (external_id is the key),
-- ServiceNow's sys_id (external_id is the number). Jira webhooks without `issue` name only the numeric id.
ALTER TABLE ticket_sync.ticket_links ADD COLUMN external_ref text;
CREATE UNIQUE INDEX ticket_links_active_external_ref
    ON ticket_sync.ticket_links (provider, external_ref) WHERE unlinked_at IS NULL AND external_ref IS NOT NULL;

-- Deliveries of native tracker webhooks already processed (Jira's X-Atlassian-Webhook-Identifier):
-- a redelivery is recognised even before its comment is looked at.
CREATE TABLE ticket_sync.inbound_deliveries (
    source      text NOT NULL,
    delivery_id text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, delivery_id)
);
