//! Tests of `state`.

use super::*;

#[test]
fn iccids_carry_a_luhn_digit() {
    // A known valid ICCID-like number: 8988307000001234567 has check digit 7 when
    // the Luhn sum of the first 18 digits is computed.
    let partial = "898830700000123456";
    let full = format!("{partial}{}", luhn_digit(partial));
    let sum: u32 = full
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    assert_eq!(sum % 10, 0);
}

#[test]
fn test_cards() {
    assert_eq!(
        card_outcome("4242 4242 4242 4242"),
        Some(CardOutcome::Success)
    );
    assert_eq!(
        card_outcome("4000-0000-0000-0002"),
        Some(CardOutcome::Declined)
    );
    assert_eq!(
        card_outcome("4000000000000341"),
        Some(CardOutcome::ProvisioningFails)
    );
    assert_eq!(card_outcome("4111111111111111"), None);
    assert_eq!(card_outcome("4242x4242424242424242"), None);
}

#[test]
fn emails() {
    assert!(valid_email("alex@example.com"));
    for bad in [
        "",
        "alex",
        "@example.com",
        "alex@",
        "alex@example",
        "a b@example.com",
        "a@b@c.com",
    ] {
        assert!(!valid_email(bad), "{bad}");
    }
}

fn test_state(seed: u64, faults: Faults) -> State {
    State::new(
        seed,
        crate::catalog::build(),
        faults,
        1.0,
        Duration::from_secs(900),
    )
}

fn request(sku: &str, quantity: u32) -> CheckoutSessionRequest {
    serde_json::from_value(serde_json::json!({
        "customer": {"email": "alex@example.com"},
        "items": [{"sku": sku, "quantity": quantity}],
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
    }))
    .expect("request")
}

/// Pays a session of `quantity` eSIMs; returns the order id and the payment's effects.
fn paid(state: &mut State, quantity: u32, now: OffsetDateTime) -> (String, Effects) {
    let session = state
        .create_session(request("US-5GB-30D", quantity), "http://sandbox.test", now)
        .expect("session");
    let effects = state
        .pay(&session.id, CardOutcome::Success, now)
        .expect("paid");
    let order_id = state.sessions[&session.id]
        .order_id
        .clone()
        .expect("an order");
    (order_id, effects)
}

fn described(effects: &Effects) -> Vec<String> {
    effects
        .events
        .iter()
        .map(|o| {
            let data = match &o.event.payload {
                EventPayload::ActivationReady(d) => serde_json::to_string(d),
                EventPayload::OrderPaid(d) => serde_json::to_string(d),
                EventPayload::CheckoutCompleted(d) => serde_json::to_string(d),
                other => Ok(other.event_type().to_owned()),
            }
            .expect("json");
            format!(
                "{} {} {:?} {data}",
                o.event.id,
                o.event.payload.event_type(),
                o.hold
            )
        })
        .collect()
}

#[test]
fn one_esim_is_provisioned_exactly_as_before() {
    let now = OffsetDateTime::from_unix_timestamp(1_736_500_800).expect("time");
    for out_of_order in [false, true] {
        let mut state = test_state(
            42,
            Faults {
                out_of_order_webhooks: out_of_order,
                ..Faults::default()
            },
        );
        let (order_id, payment) = paid(&mut state, 1, now);
        let activation = state.provision(&order_id, now + time::Duration::seconds(2));
        let seen: Vec<String> = described(&payment)
            .into_iter()
            .chain(described(&activation))
            .collect();
        assert_eq!(seen, golden(out_of_order), "out of order: {out_of_order}");
        let order = &state.orders[&order_id].order;
        assert_eq!(order.status, OrderStatus::Ready);
        assert_eq!(order.lines.len(), 1);
        assert_eq!(order.line.as_ref(), order.lines.first());
    }
}

/// What the sandbox sent for one eSIM with seed 42 before orders had several lines
/// (recorded from the code of commit e03c3bf): ids, ICCID, activation code, holds.
fn golden(out_of_order: bool) -> Vec<String> {
    let completed = r#"evt_v81v60lg9udg checkout.completed HOLD {"session_id":"cs_iyf81pmw0kxf","order_id":"ord_llf2w13itsn6"}"#;
    let paid = r#"evt_hpjc9fvlkzxc order.paid HOLD {"order_id":"ord_llf2w13itsn6","session_id":"cs_iyf81pmw0kxf","items":[{"sku":"US-5GB-30D","quantity":1,"unit_price":14.99,"currency":"USD"}],"customer":{"email":"alex@example.com"}}"#;
    let ready = r#"evt_p5bxr1731bk3 activation.ready 0ns {"order_id":"ord_llf2w13itsn6","line":{"iccid":"8988307303218375661","smdp_plus":"LPA:1$sm-dp-plus.sandbox.simology.net$SIMO-XSX5D-KG5HB-2BYZP","valid_from":"2025-01-10T09:20:02Z","expires_at":"2025-02-09T09:20:02Z"}}"#;
    if out_of_order {
        vec![
            ready.to_owned(),
            completed.replace("HOLD", "150ms"),
            paid.replace("HOLD", "300ms"),
        ]
    } else {
        vec![
            completed.replace("HOLD", "0ns"),
            paid.replace("HOLD", "0ns"),
            ready.to_owned(),
        ]
    }
}

fn activation_iccids(effects: &Effects) -> Vec<String> {
    effects
        .events
        .iter()
        .filter_map(|o| match &o.event.payload {
            EventPayload::ActivationReady(d) => Some(d.line.iccid.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn each_esim_gets_its_line_and_event_in_natural_order_unless_out_of_order() {
    let now = OffsetDateTime::from_unix_timestamp(1_736_500_800).expect("time");
    let mut natural = test_state(42, Faults::default());
    let (order_id, _) = paid(&mut natural, 5, now);
    let activation = natural.provision(&order_id, now);
    let order = natural.orders[&order_id].order.clone();
    assert_eq!(order.status, OrderStatus::Ready);
    let lines: Vec<String> = order.lines.iter().map(|l| l.iccid.clone()).collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(activation_iccids(&activation), lines, "natural order");
    let holds: Vec<Duration> = activation.events.iter().map(|o| o.hold).collect();
    assert!(holds.windows(2).all(|w| w[0] < w[1]), "{holds:?}");
    let ids: std::collections::HashSet<&str> = activation
        .events
        .iter()
        .map(|o| o.event.id.as_str())
        .collect();
    assert_eq!(ids.len(), 5, "an event id each");

    let mut shuffled = test_state(
        42,
        Faults {
            out_of_order_webhooks: true,
            ..Faults::default()
        },
    );
    let (order_id, payment) = paid(&mut shuffled, 5, now);
    assert!(payment.events.is_empty(), "the paid phase is held back");
    let activation = shuffled.provision(&order_id, now);
    let lines: Vec<String> = shuffled.orders[&order_id]
        .order
        .lines
        .iter()
        .map(|l| l.iccid.clone())
        .collect();
    let sent = activation_iccids(&activation);
    assert_ne!(sent, lines, "shuffled");
    let (mut a, mut b) = (sent.clone(), lines.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same lines");
    // The held paid-phase events go after every activation.ready.
    let types: Vec<&str> = activation
        .events
        .iter()
        .map(|o| o.event.payload.event_type())
        .collect();
    assert_eq!(types[5..], ["checkout.completed", "order.paid"]);
    let last_line = activation.events[4].hold;
    assert!(activation.events[5..].iter().all(|o| o.hold > last_line));
}
