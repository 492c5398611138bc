-- Orders of several eSIMs: an order's lines live in its facts (`facts_json`), keyed by
-- ICCID, so that a line arriving is one optimistic update of the order's row (its
-- `version` moves, long-polls and other replicas see it) and the state stays a
-- function of the facts. A top-up names the line it adds data to.
ALTER TABLE orders ADD COLUMN parent_iccid TEXT;

-- Existing top-ups were for their order's one line.
UPDATE orders SET parent_iccid = (
    SELECT json_extract(p.facts_json, '$.iccid') FROM orders AS p WHERE p.order_ref = orders.parent_ref
) WHERE kind = 'topup';

-- Every eSIM order is owed as many lines as it bought.
UPDATE orders SET facts_json = json_set(facts_json, '$.lines_due', quantity) WHERE kind = 'esim';

-- An existing order's one line (its facts' ICCID, LPA string, validity and ready time)
-- becomes the first entry of its lines.
UPDATE orders SET facts_json = json_remove(
    json_set(facts_json, '$.lines', json_object(
        json_extract(facts_json, '$.iccid'),
        json_object(
            'ready_at', json_extract(facts_json, '$.ready_at'),
            'lpa', json_extract(facts_json, '$.lpa'),
            'valid_from', json_extract(facts_json, '$.valid_from'),
            'valid_until', json_extract(facts_json, '$.valid_until'),
            'refunded_at', NULL,
            'refund_id', NULL))),
    '$.iccid', '$.lpa', '$.valid_from', '$.valid_until', '$.ready_at')
WHERE kind = 'esim' AND json_extract(facts_json, '$.iccid') IS NOT NULL;

-- An order of several eSIMs that was taken for ready with one line is owed the others:
-- it is provisioning again, and the reconciler reads the rest upstream at its next pass.
UPDATE orders SET state = 'provisioning', reconcile_after = 0
WHERE kind = 'esim' AND state = 'ready' AND quantity > 1;
