-- Affiliates. An order remembers who made the sale: the affiliate (from the
-- affiliates file), the placement and the page's path (a path only, normalised), and
-- its plan's destination. Nothing about the reader.
ALTER TABLE orders ADD COLUMN affiliate TEXT;
ALTER TABLE orders ADD COLUMN placement TEXT;
ALTER TABLE orders ADD COLUMN page_path TEXT;
ALTER TABLE orders ADD COLUMN destination TEXT;
CREATE INDEX orders_by_affiliate ON orders (affiliate, created_at) WHERE affiliate IS NOT NULL;

-- The funnel: a count per UTC day, affiliate, placement, page path, destination and
-- event, and nothing else (no address, no user agent, no cookie, no reader id). An
-- empty text is "none given". Each beacon is one upsert, so replicas never race.
CREATE TABLE funnel_counts (
    day         TEXT NOT NULL,
    affiliate   TEXT NOT NULL,
    placement   TEXT NOT NULL,
    page_path   TEXT NOT NULL,
    destination TEXT NOT NULL,
    event       TEXT NOT NULL CHECK (event IN ('shown', 'destination_chosen', 'plan_chosen', 'checkout_started')),
    count       BIGINT NOT NULL,
    PRIMARY KEY (day, affiliate, placement, page_path, destination, event)
);
