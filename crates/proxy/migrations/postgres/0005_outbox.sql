-- A checkout's affiliate network click id (from the host page's URL), kept with the
-- order for its conversion postbacks; never in a beacon, a funnel count or a report.
ALTER TABLE orders ADD COLUMN click_id TEXT;

-- The outbox: what the partner's systems are told. A row per event and destination (a
-- webhook endpoint of the endpoints file, or `postback:<affiliate>`), written in the
-- transaction of the order change that caused it, then delivered by one replica at a
-- time (a claim moves next_attempt_at past the attempt's timeout) until delivered, or
-- given up after the retry schedule's 3 days. The body carries no email, no activation
-- code and no order reference.
CREATE TABLE outbox (
    message_id       TEXT NOT NULL,
    destination      TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    order_id         TEXT NOT NULL,
    payload          TEXT NOT NULL,
    target_url       TEXT,
    created_at       BIGINT NOT NULL,
    chain_started_at BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_attempt_at  BIGINT,
    last_status      BIGINT,
    last_error       TEXT,
    delivered_at     BIGINT,
    failed_at        BIGINT,
    PRIMARY KEY (message_id, destination)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_by_destination ON outbox (destination, created_at);
-- Delivered rows are pruned after a week; given-up ones are counted per destination.
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX outbox_failed ON outbox (destination) WHERE failed_at IS NOT NULL;

-- A destination that kept failing for the whole retry schedule is disabled: nothing is
-- sent to it (its deliveries wait) until `simology-proxy webhooks test <endpoint>`
-- succeeds.
CREATE TABLE outbox_destinations (
    destination TEXT PRIMARY KEY,
    disabled_at BIGINT,
    reason      TEXT
);
