-- Orders of several eSIMs: an order's lines live in its facts (`facts_json`), keyed by
-- ICCID, so that a line arriving is one optimistic update of the order's row (its
-- `version` moves, long-polls and other replicas see it) and the state stays a
-- function of the facts. A top-up names the line it adds data to.
ALTER TABLE orders ADD COLUMN parent_iccid TEXT;

-- Existing top-ups were for their order's one line.
UPDATE orders SET parent_iccid = p.facts_json::jsonb ->> 'iccid'
FROM orders AS p WHERE p.order_ref = orders.parent_ref AND orders.kind = 'topup';

-- Every eSIM order is owed as many lines as it bought.
UPDATE orders SET facts_json = (facts_json::jsonb || jsonb_build_object('lines_due', quantity))::text
WHERE kind = 'esim';

-- An existing order's one line (its facts' ICCID, LPA string, validity and ready time)
-- becomes the first entry of its lines.
UPDATE orders SET facts_json = (
    (facts_json::jsonb - 'iccid' - 'lpa' - 'valid_from' - 'valid_until' - 'ready_at')
    || jsonb_build_object('lines', jsonb_build_object(
        facts_json::jsonb ->> 'iccid',
        jsonb_build_object(
            'ready_at', facts_json::jsonb -> 'ready_at',
            'lpa', facts_json::jsonb -> 'lpa',
            'valid_from', facts_json::jsonb -> 'valid_from',
            'valid_until', facts_json::jsonb -> 'valid_until',
            'refunded_at', NULL,
            'refund_id', NULL)))
)::text
WHERE kind = 'esim' AND facts_json::jsonb ->> 'iccid' IS NOT NULL;

-- An order of several eSIMs that was taken for ready with one line is owed the others:
-- it is provisioning again, and the reconciler reads the rest upstream at its next pass.
UPDATE orders SET state = 'provisioning', reconcile_after = 0
WHERE kind = 'esim' AND state = 'ready' AND quantity > 1;
