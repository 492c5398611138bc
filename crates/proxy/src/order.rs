//! What an order is: its kind, and its state as facts learnt from events.
//!
//! Every event only ever *adds* facts (first writer wins), and the state is a function
//! of the facts. So applying the same events in any order, any number of times, ends
//! in the same state: `activation.ready` before `order.paid` still ends `ready`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use simology::events::{Event, EventPayload};
use simology_proxy_api::OrderState;

use crate::clock::{rfc3339, unix_ms};

/// What an order buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// A plan: a new eSIM.
    Esim,
    /// Data added to the line of an earlier `Esim` order.
    Topup,
}

impl OrderKind {
    /// The name in the store, in the upstream session's `purpose` metadata, and in the
    /// derivation of the intent's idempotency key: `esim` or `topup`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Esim => "esim",
            OrderKind::Topup => "topup",
        }
    }

    /// The kind of a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [OrderKind::Esim, OrderKind::Topup]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// What is known about one line (one eSIM) of an order. Times are Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineFacts {
    /// `activation.ready` for this line (or the reconciler found it upstream).
    #[serde(default)]
    pub ready_at: Option<i64>,
    /// The LPA string.
    #[serde(default)]
    pub lpa: Option<String>,
    /// Start of validity, RFC 3339.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// End of validity, RFC 3339.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// `refund.processed` naming this line.
    #[serde(default)]
    pub refunded_at: Option<i64>,
    /// The upstream refund asked for this line alone, if any (the line changes only
    /// when `refund.processed` arrives).
    #[serde(default)]
    pub refund_id: Option<String>,
}

impl LineFacts {
    fn merge(&mut self, other: &LineFacts) {
        merge_time(&mut self.ready_at, &other.ready_at);
        merge_opt(&mut self.lpa, &other.lpa);
        merge_opt(&mut self.valid_from, &other.valid_from);
        merge_opt(&mut self.valid_until, &other.valid_until);
        merge_time(&mut self.refunded_at, &other.refunded_at);
        merge_opt(&mut self.refund_id, &other.refund_id);
    }

    /// Whether the line was delivered (its credentials are known).
    pub fn delivered(&self) -> bool {
        self.ready_at.is_some() && self.lpa.is_some()
    }
}

/// What is known about an order. Times are Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The upstream order id, once an event names it.
    pub upstream_order_id: Option<String>,
    /// How many lines an `Esim` order is owed: its quantity, set when it is reserved
    /// (none for a top-up, which makes no line).
    #[serde(default)]
    pub lines_due: Option<u32>,
    /// `checkout.completed`: the buyer finished on the payment page.
    pub completed_at: Option<i64>,
    /// `order.paid`: funds confirmed.
    pub paid_at: Option<i64>,
    /// For a top-up: the data was added to its line.
    #[serde(default)]
    pub ready_at: Option<i64>,
    /// The order's lines by ICCID, each merged like the order itself.
    #[serde(default)]
    pub lines: BTreeMap<String, LineFacts>,
    /// Why it failed: `payment_declined`, `provisioning_failed`.
    pub failed_reason: Option<String>,
    /// `refund.processed` for the whole order: every line stops, later ones included.
    pub refunded_at: Option<i64>,
    /// The checkout session expired unpaid.
    pub expired_at: Option<i64>,
}

fn merge_opt<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
    if mine.is_none() {
        mine.clone_from(theirs);
    }
}

/// Times merge to the earliest, so the result does not depend on arrival order.
fn merge_time(mine: &mut Option<i64>, theirs: &Option<i64>) {
    *mine = match (*mine, *theirs) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

impl Facts {
    /// The facts of a newly reserved order of `kind` and `quantity`.
    pub fn reserved(kind: OrderKind, quantity: u32) -> Facts {
        Facts {
            lines_due: (kind == OrderKind::Esim).then_some(quantity),
            ..Facts::default()
        }
    }

    /// Adds the facts of `other` that `self` lacks; times keep the earliest; lines
    /// merge by ICCID. Commutative and idempotent for facts that agree, which events
    /// about one order do.
    pub fn merge(&mut self, other: &Facts) {
        merge_opt(&mut self.upstream_order_id, &other.upstream_order_id);
        merge_opt(&mut self.lines_due, &other.lines_due);
        merge_time(&mut self.completed_at, &other.completed_at);
        merge_time(&mut self.paid_at, &other.paid_at);
        merge_time(&mut self.ready_at, &other.ready_at);
        for (iccid, line) in &other.lines {
            self.lines.entry(iccid.clone()).or_default().merge(line);
        }
        merge_opt(&mut self.failed_reason, &other.failed_reason);
        merge_time(&mut self.refunded_at, &other.refunded_at);
        merge_time(&mut self.expired_at, &other.expired_at);
    }

    /// `self` with `other` merged in.
    pub fn merged(&self, other: &Facts) -> Facts {
        let mut f = self.clone();
        f.merge(other);
        f
    }

    /// The lines delivered so far, by ICCID.
    pub fn delivered_lines(&self) -> impl Iterator<Item = (&str, &LineFacts)> {
        self.lines
            .iter()
            .filter(|(_, l)| l.delivered())
            .map(|(iccid, l)| (iccid.as_str(), l))
    }

    /// How many lines were delivered (refunded ones included).
    pub fn lines_ready(&self) -> usize {
        self.delivered_lines().count()
    }

    /// Whether the line `iccid` was refunded, alone or with the whole order.
    pub fn line_refunded(&self, iccid: &str) -> bool {
        self.refunded_at.is_some()
            || self
                .lines
                .get(iccid)
                .is_some_and(|l| l.refunded_at.is_some())
    }

    /// Whether everything paid for was delivered: every line owed (or, for a top-up,
    /// its data). Stays true once the order is refunded.
    pub fn delivered(&self) -> bool {
        match self.lines_due {
            Some(due) => self.lines_ready() >= due as usize,
            None => self.ready_at.is_some() || self.lines_ready() > 0,
        }
    }

    /// How many lines were refunded one by one (not with the whole order).
    pub fn lines_refunded(&self) -> usize {
        self.lines
            .values()
            .filter(|l| l.refunded_at.is_some())
            .count()
    }

    /// Whether every line owed was refunded, one by one.
    fn every_line_refunded(&self) -> bool {
        let refunded = self.lines_refunded();
        self.lines_due
            .is_some_and(|due| due > 0 && refunded >= due as usize)
    }

    /// The state these facts mean. An order of several eSIMs is `ready` once every line
    /// owed was delivered, and `refunded` once every line was (alone or with the order).
    pub fn state(&self) -> OrderState {
        if self.refunded_at.is_some() || self.every_line_refunded() {
            OrderState::Refunded
        } else if self.delivered() {
            OrderState::Ready
        } else if self.failed_reason.is_some() {
            OrderState::Failed
        } else if self.paid_at.is_some() || self.lines_ready() > 0 {
            // A delivered line means the order was paid, even if that event is late.
            OrderState::Provisioning
        } else if self.completed_at.is_some() {
            OrderState::Paid
        } else if self.expired_at.is_some() {
            OrderState::Expired
        } else {
            OrderState::Pending
        }
    }

    /// When the order was known to be paid: `order.paid`, or its first line.
    pub fn paid_since(&self) -> Option<i64> {
        self.delivered_lines()
            .filter_map(|(_, l)| l.ready_at)
            .chain(self.paid_at)
            .min()
    }

    /// Whether a paid `Esim` order still lacks lines it is owed (and is neither
    /// refunded nor failed): what the reconciler chases and, past its window, flags.
    pub fn short_of_lines(&self) -> bool {
        self.lines_due.is_some()
            && self.paid_since().is_some()
            && matches!(self.state(), OrderState::Provisioning)
    }

    /// The order's first working line (by ICCID) once the order is ready: the one
    /// eSIM of the one-eSIM view, and the line of the order-level usage and top-up
    /// routes.
    pub fn primary_line(&self, kind: OrderKind) -> Option<(&str, &LineFacts)> {
        if kind != OrderKind::Esim || self.state() != OrderState::Ready {
            return None;
        }
        self.delivered_lines()
            .find(|(iccid, _)| !self.line_refunded(iccid))
    }

    /// The failure reason shown with the state.
    pub fn reason(&self) -> Option<&str> {
        match self.state() {
            OrderState::Failed => self.failed_reason.as_deref(),
            OrderState::Expired => Some("payment_expired"),
            _ => None,
        }
    }
}

/// The facts of one delivered line, as an event or the upstream order carries it.
fn line_facts(line: &simology::models::ActivatedLine, at: Option<i64>) -> (String, LineFacts) {
    (
        line.iccid.clone(),
        LineFacts {
            ready_at: at,
            lpa: Some(line.smdp_plus.to_string()),
            valid_from: rfc3339(line.valid_from),
            valid_until: rfc3339(line.expires_at),
            ..LineFacts::default()
        },
    )
}

/// The facts an event adds to its order. Times are the event's own, so the result does
/// not depend on when the event is processed.
pub fn facts_of(event: &Event) -> Facts {
    let at = Some(unix_ms(event.created));
    let mut f = Facts {
        upstream_order_id: event.payload.order_id().map(str::to_owned),
        ..Facts::default()
    };
    match &event.payload {
        EventPayload::CheckoutCompleted(_) => f.completed_at = at,
        EventPayload::OrderPaid(_) => {
            f.paid_at = at;
            // Paid implies the checkout completed, even if that event is late or lost.
            f.completed_at = at;
        }
        EventPayload::ActivationReady(d) => {
            f.lines = BTreeMap::from([line_facts(&d.line, at)]);
        }
        EventPayload::OrderFailed(d) => {
            f.failed_reason = Some(match d.reason.as_str() {
                "provisioning_failed" => "provisioning_failed".into(),
                _ => "order_failed".into(),
            });
        }
        EventPayload::PaymentFailed(_) => f.failed_reason = Some("payment_declined".into()),
        EventPayload::RefundProcessed(d) => match &d.iccid {
            Some(iccid) => {
                let line = LineFacts {
                    refunded_at: at,
                    ..LineFacts::default()
                };
                f.lines = BTreeMap::from([(iccid.clone(), line)]);
            }
            None => f.refunded_at = at,
        },
        EventPayload::Unknown { .. } => {}
    }
    f
}

/// The facts of an upstream order as `GET /v1/orders/{id}` reports it (the
/// reconciler's view, for when webhooks are late): its status and every line
/// provisioned so far.
pub fn facts_of_order(order: &simology::models::Order, now_ms: i64) -> Facts {
    use simology::models::OrderStatus;
    let at = Some(now_ms);
    let mut f = Facts {
        upstream_order_id: Some(order.id.clone()),
        lines: order.lines.iter().map(|l| line_facts(l, at)).collect(),
        ..Facts::default()
    };
    match order.status {
        OrderStatus::Paid | OrderStatus::Ready => {
            f.completed_at = at;
            f.paid_at = at;
        }
        OrderStatus::Refunded => {
            f.completed_at = at;
            f.paid_at = at;
            f.refunded_at = at;
        }
        OrderStatus::Failed => {
            f.completed_at = at;
            f.failed_reason = Some(match order.failure_reason.as_deref() {
                Some("provisioning_failed") => "provisioning_failed".into(),
                _ => "order_failed".into(),
            });
        }
        OrderStatus::Pending | OrderStatus::Unknown => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use simology::events::*;
    use simology::models::{ActivatedLine, OrderItem};
    use simology::Lpa;
    use time::macros::datetime;

    /// The ICCIDs of the three lines of the order in [`events`].
    const ICCIDS: [&str; 3] = [
        "8988307000001234567",
        "8988307000001234575",
        "8988307000001234583",
    ];

    fn line(n: usize) -> ActivatedLine {
        ActivatedLine {
            iccid: ICCIDS[n].into(),
            smdp_plus: Lpa::parse(&format!("LPA:1$sm-dp-plus.simology.net$ACT-{n}")).expect("lpa"),
            qr_url: None,
            valid_from: datetime!(2025-01-10 09:21:10 UTC),
            expires_at: datetime!(2025-02-09 23:59:59 UTC),
        }
    }

    fn mk(id: &str, secs: i64, payload: EventPayload) -> Event {
        Event {
            id: id.into(),
            created: datetime!(2025-01-10 09:20:00 UTC) + time::Duration::seconds(secs),
            payload,
        }
    }

    /// An order of `quantity` eSIMs as reserved.
    fn reserved(quantity: u32) -> Facts {
        Facts::reserved(OrderKind::Esim, quantity)
    }

    /// The events of an order of `lines` eSIMs (1 to 3): completed, paid, then one
    /// `activation.ready` per line.
    fn events(lines: usize) -> Vec<Event> {
        let mut e = vec![
            mk(
                "evt_1",
                0,
                EventPayload::CheckoutCompleted(CheckoutCompleted {
                    session_id: "cs_1".into(),
                    order_id: "ord_1".into(),
                    metadata: Default::default(),
                }),
            ),
            mk(
                "evt_2",
                1,
                EventPayload::OrderPaid(OrderPaid {
                    order_id: "ord_1".into(),
                    session_id: "cs_1".into(),
                    items: vec![OrderItem {
                        sku: "US-1GB-7D".into(),
                        quantity: lines as u32,
                        unit_price: simology::money::Amount::new(499, 2),
                        currency: simology::Currency::USD,
                    }],
                    customer: PaidCustomer {
                        email: "a@b.co".into(),
                    },
                }),
            ),
        ];
        for n in 0..lines {
            e.push(mk(
                &format!("evt_ready_{n}"),
                60 + n as i64,
                EventPayload::ActivationReady(ActivationReady {
                    order_id: "ord_1".into(),
                    line: line(n),
                }),
            ));
        }
        e
    }

    fn refund(id: &str, iccid: Option<&str>) -> Event {
        mk(
            id,
            600,
            EventPayload::RefundProcessed(RefundProcessed {
                refund_id: format!("re_{id}"),
                order_id: "ord_1".into(),
                iccid: iccid.map(str::to_owned),
                amount: simology::money::Money::from_amount(
                    simology::money::Amount::new(499, 2),
                    simology::Currency::USD,
                )
                .expect("money"),
            }),
        )
    }

    #[test]
    fn the_happy_path_in_order() {
        let mut f = reserved(1);
        assert_eq!(f.state(), OrderState::Pending);
        let states: Vec<_> = events(1)
            .iter()
            .map(|e| {
                f.merge(&facts_of(e));
                f.state()
            })
            .collect();
        assert_eq!(
            states,
            vec![
                OrderState::Paid,
                OrderState::Provisioning,
                OrderState::Ready
            ]
        );
        let (iccid, line) = f.primary_line(OrderKind::Esim).expect("a line");
        assert_eq!(iccid, ICCIDS[0]);
        assert_eq!(
            line.lpa.as_deref(),
            Some("LPA:1$sm-dp-plus.simology.net$ACT-0")
        );
        assert_eq!(line.valid_until.as_deref(), Some("2025-02-09T23:59:59Z"));
    }

    #[test]
    fn ready_before_paid_still_ends_ready() {
        let e = events(1);
        let mut f = reserved(1);
        f.merge(&facts_of(&e[2]));
        assert_eq!(f.state(), OrderState::Ready);
        f.merge(&facts_of(&e[1]));
        f.merge(&facts_of(&e[0]));
        assert_eq!(f.state(), OrderState::Ready);
    }

    #[test]
    fn an_order_of_three_is_ready_with_its_third_line_only() {
        let e = events(3);
        let mut f = reserved(3);
        for ev in &e[..4] {
            f.merge(&facts_of(ev));
        }
        assert_eq!((f.state(), f.lines_ready()), (OrderState::Provisioning, 2));
        assert!(f.short_of_lines());
        assert_eq!(
            f.primary_line(OrderKind::Esim),
            None,
            "not ready: no one eSIM yet"
        );
        f.merge(&facts_of(&e[4]));
        assert_eq!((f.state(), f.lines_ready()), (OrderState::Ready, 3));
        assert!(!f.short_of_lines());
    }

    #[test]
    fn a_line_refund_stops_that_line_and_the_last_one_refunds_the_order() {
        let mut f = reserved(3);
        for ev in events(3) {
            f.merge(&facts_of(&ev));
        }
        f.merge(&facts_of(&refund("r1", Some(ICCIDS[0]))));
        assert_eq!(
            f.state(),
            OrderState::Ready,
            "a partly refunded order stays ready"
        );
        assert!(f.line_refunded(ICCIDS[0]) && !f.line_refunded(ICCIDS[1]));
        assert_eq!(
            f.primary_line(OrderKind::Esim).map(|(i, _)| i),
            Some(ICCIDS[1]),
            "the one-eSIM view shows a line that works"
        );
        f.merge(&facts_of(&refund("r2", Some(ICCIDS[1]))));
        assert_eq!(f.state(), OrderState::Ready);
        f.merge(&facts_of(&refund("r3", Some(ICCIDS[2]))));
        assert_eq!(f.state(), OrderState::Refunded);
        assert_eq!(f.primary_line(OrderKind::Esim), None);
    }

    #[test]
    fn a_whole_refund_stops_every_line_even_one_that_arrives_after_it() {
        let e = events(2);
        let mut f = reserved(2);
        f.merge(&facts_of(&e[2]));
        f.merge(&facts_of(&refund("all", None)));
        f.merge(&facts_of(&e[3]));
        assert_eq!(f.state(), OrderState::Refunded);
        assert!(ICCIDS[..2].iter().all(|i| f.line_refunded(i)));
    }

    #[test]
    fn expiry_loses_to_payment_and_refund_wins() {
        let mut f = Facts {
            expired_at: Some(1),
            ..reserved(1)
        };
        assert_eq!(f.state(), OrderState::Expired);
        assert_eq!(f.reason(), Some("payment_expired"));
        f.merge(&facts_of(&events(1)[1]));
        assert_eq!(f.state(), OrderState::Provisioning);
        f.merge(&Facts {
            refunded_at: Some(2),
            ..Facts::default()
        });
        assert_eq!(f.state(), OrderState::Refunded);
    }

    #[test]
    fn kinds_round_trip_and_only_a_ready_esim_has_a_line() {
        for kind in [OrderKind::Esim, OrderKind::Topup] {
            assert_eq!(OrderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(OrderKind::parse("ESIM"), None);
        let mut f = reserved(1);
        for e in events(1) {
            f.merge(&facts_of(&e));
        }
        assert_eq!(
            f.primary_line(OrderKind::Esim).map(|(i, _)| i),
            Some(ICCIDS[0])
        );
        assert_eq!(f.primary_line(OrderKind::Topup), None);
        f.refunded_at = Some(1);
        assert_eq!(f.primary_line(OrderKind::Esim), None, "refunded: no line");
    }

    #[test]
    fn a_top_up_is_ready_when_its_data_is_added() {
        let mut f = Facts::reserved(OrderKind::Topup, 1);
        assert_eq!(f.lines_due, None);
        f.merge(&facts_of(&events(1)[1]));
        assert_eq!(f.state(), OrderState::Provisioning);
        assert!(!f.short_of_lines(), "a top-up is owed no line");
        f.merge(&Facts {
            ready_at: Some(5),
            ..Facts::default()
        });
        assert_eq!(f.state(), OrderState::Ready);
    }

    #[test]
    fn the_upstream_order_brings_every_line_it_lists() {
        let order: simology::models::Order = serde_json::from_value(serde_json::json!({
            "id": "ord_1", "session_id": "cs_1", "status": "paid",
            "items": [{"sku": "US-1GB-7D", "quantity": 3, "unit_price": 4.99, "currency": "USD"}],
            "lines": [serde_json::to_value(line(0)).expect("json"), serde_json::to_value(line(2)).expect("json")],
            "created": "2025-01-10T09:20:00Z",
        }))
        .expect("an order");
        let mut f = reserved(3);
        f.merge(&facts_of_order(&order, 1_000));
        assert_eq!((f.state(), f.lines_ready()), (OrderState::Provisioning, 2));
        assert_eq!(f.paid_since(), Some(1_000));
        // The webhook of a line the upstream listed adds nothing new but its time.
        f.merge(&facts_of(&events(3)[2]));
        assert_eq!(f.lines_ready(), 2);
        f.merge(&facts_of(&events(3)[3]));
        assert_eq!((f.state(), f.lines_ready()), (OrderState::Ready, 3));
    }

    proptest! {
        /// Any order and any duplication of an order's events ends in the same facts,
        /// and at every step the state depends only on which events were seen: ready
        /// exactly when every line's activation was, with one line per ICCID.
        #[test]
        fn any_order_any_duplication_same_end(
            picks in prop::collection::vec(0usize..6, 0..24),
            perm in Just((0usize..6).collect::<Vec<_>>()).prop_shuffle(),
        ) {
            // Completed, paid, three activations, and a refund of the second line.
            let mut e = events(3);
            e.push(refund("r", Some(ICCIDS[1])));
            let mut reference = reserved(3);
            for ev in &e {
                reference.merge(&facts_of(ev));
            }
            let mut f = reserved(3);
            let mut seen = std::collections::BTreeSet::new();
            // Some random prefix of deliveries (duplicates allowed), then every event
            // at least once, in a random order.
            for i in picks.iter().chain(&perm) {
                f.merge(&facts_of(&e[*i]));
                seen.insert(*i);
                let activations = (2..5).filter(|a| seen.contains(a)).count();
                prop_assert_eq!(f.lines_ready(), activations);
                prop_assert_eq!(f.state() == OrderState::Ready, activations == 3);
            }
            prop_assert_eq!(&f, &reference);
            prop_assert_eq!(f.state(), OrderState::Ready);
            prop_assert_eq!(f.lines.len(), 3);
            prop_assert!(f.line_refunded(ICCIDS[1]) && !f.line_refunded(ICCIDS[0]));
        }
    }
}
