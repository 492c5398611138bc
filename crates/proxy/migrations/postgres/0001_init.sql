-- Orders: what the proxy needs to serve status and credentials, and no more.
-- No email, no name, no card data; the upstream holds those.
CREATE TABLE orders (
    order_ref          TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('esim', 'topup')),
    parent_ref         TEXT REFERENCES orders(order_ref),
    intent_key         TEXT NOT NULL UNIQUE,
    fingerprint        TEXT NOT NULL,
    sku                TEXT NOT NULL,
    quantity           BIGINT NOT NULL,
    plan_json          TEXT NOT NULL,
    locale             TEXT NOT NULL,
    return_url         TEXT NOT NULL,
    session_id         TEXT UNIQUE,
    payment_url        TEXT,
    session_expires_at BIGINT,
    facts_json         TEXT NOT NULL,
    upstream_order_id  TEXT UNIQUE,
    state              TEXT NOT NULL,
    refund_id          TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    reconcile_after    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX orders_by_state ON orders (state, reconcile_after);

-- Webhook events, stored before they are processed. The raw body is kept until the
-- event is applied, then dropped: the id and type stay for deduplication.
CREATE TABLE webhook_events (
    event_id        TEXT PRIMARY KEY,
    event_type      TEXT NOT NULL,
    payload         TEXT,
    received_at     BIGINT NOT NULL,
    processed_at    BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    order_ref       TEXT
);
CREATE INDEX webhook_events_pending ON webhook_events (processed_at, next_attempt_at);
