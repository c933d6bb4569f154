-- Token lifecycle: a token may expire (`ticketsync token create --expires-in 90d`), and records when it was last
-- used (written at most once a minute per token, after the answer has gone out).
ALTER TABLE ticket_sync.api_tokens
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;
