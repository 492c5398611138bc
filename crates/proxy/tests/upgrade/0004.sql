-- Data as the proxy stored it at schema 0004 (quarantine): an event put aside with its
-- reason (its body stripped of emails), and one replayed out of quarantine and applied.
INSERT INTO webhook_events (event_id, event_type, payload, received_at, processed_at, attempts, next_attempt_at, last_error, order_ref, quarantined_at, quarantine_reason, replayed_at) VALUES
('evt_0004_quarantined', 'order.paid', '{"type":"order.paid","id":"evt_0004_quarantined","created":"2023-11-20T10:00:00Z","data":{"order_id":"ord_0004","customer":{"email":"[removed]"}}}', 1700474400000, NULL, 1, 1700474400000, 'does not parse: unknown currency', NULL, 1700474400100, 'does not parse: unknown currency', NULL),
('evt_0004_replayed', 'activation.ready', NULL, 1700474500000, 1700560000000, 3, 1700474500000, NULL, 'o_00000000000000000000000000000301', NULL, NULL, 1700559999000);
