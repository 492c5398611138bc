-- Data as the proxy stored it at schema 0003 (affiliates): a paid order attributed to
-- an affiliate's placement and page, and the funnel's daily counts.
INSERT INTO orders (order_ref, kind, parent_ref, intent_key, fingerprint, sku, quantity, plan_json, locale, return_url, session_id, payment_url, session_expires_at, facts_json, upstream_order_id, state, refund_id, created_at, updated_at, version, reconcile_after, parent_iccid, affiliate, placement, page_path, destination) VALUES
('o_00000000000000000000000000000301', 'esim', NULL, 'upgrade-0003-a', 'fp-a', 'JP-1GB-7D', 1, '{"sku":"JP-1GB-7D","name":"Japan 1 GB","coverage":["JP"],"data_mb":1024,"validity_days":7,"quantity":1,"price":{"minor":450,"currency":"USD","decimals":2},"terms_url":""}', 'en', 'https://blog.example/japan', 'cs_0003_a', 'https://pay.simology.net/cs_0003_a', 1700300900000, '{"upstream_order_id":"ord_0003_a","lines_due":1,"completed_at":1700300020000,"paid_at":1700300030000,"ready_at":null,"lines":{},"failed_reason":null,"refunded_at":null,"expired_at":null}', 'ord_0003_a', 'provisioning', NULL, 1700300000000, 1700300030000, 3, 1700300150000, NULL, 'travel-blog', 'sidebar', '/japan/tokyo', 'JP');
INSERT INTO funnel_counts (day, affiliate, placement, page_path, destination, event, count) VALUES
('2023-11-18', 'travel-blog', 'sidebar', '/japan/tokyo', 'JP', 'shown', 40),
('2023-11-18', 'travel-blog', 'sidebar', '/japan/tokyo', 'JP', 'plan_chosen', 3),
('2023-11-18', 'travel-blog', '', '', '', 'checkout_started', 1);
