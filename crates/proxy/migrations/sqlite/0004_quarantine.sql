-- Quarantine: a signed event is stored before it is judged, and one that cannot be
-- applied (its data does not parse, or no order matched it within the sender's 48 hours
-- of retries) is kept aside with its reason, its body stripped of the customer's email,
-- until an operator replays it (`simology-proxy events replay <event_id>`).
ALTER TABLE webhook_events ADD COLUMN quarantined_at INTEGER;
ALTER TABLE webhook_events ADD COLUMN quarantine_reason TEXT;
-- A replay starts the event's 48 hours again.
ALTER TABLE webhook_events ADD COLUMN replayed_at INTEGER;

-- Only events still to be applied are due: neither processed nor quarantined.
DROP INDEX webhook_events_pending;
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at, received_at)
    WHERE processed_at IS NULL AND quarantined_at IS NULL;
CREATE INDEX webhook_events_quarantined ON webhook_events (quarantined_at)
    WHERE quarantined_at IS NOT NULL;
