//! What an order is: its kind, and its state as facts learnt from events.
//!
//! Every event only ever *adds* facts (first writer wins), and the state is a function
//! of the facts. So applying the same events in any order, any number of times, ends
//! in the same state: `activation.ready` before `order.paid` still ends `ready`.

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

/// What is known about an order. Times are Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The upstream order id, once an event names it.
    pub upstream_order_id: Option<String>,
    /// `checkout.completed`: the buyer finished on the payment page.
    pub completed_at: Option<i64>,
    /// `order.paid`: funds confirmed.
    pub paid_at: Option<i64>,
    /// `activation.ready` (or, for a top-up, the data added).
    pub ready_at: Option<i64>,
    /// The line's ICCID.
    pub iccid: Option<String>,
    /// The LPA string.
    pub lpa: Option<String>,
    /// Start of validity, RFC 3339.
    pub valid_from: Option<String>,
    /// End of validity, RFC 3339.
    pub valid_until: Option<String>,
    /// Why it failed: `payment_declined`, `provisioning_failed`.
    pub failed_reason: Option<String>,
    /// `refund.processed`.
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
    /// Adds the facts of `other` that `self` lacks; times keep the earliest. Commutative
    /// and idempotent for facts that agree, which events about one order do.
    pub fn merge(&mut self, other: &Facts) {
        merge_opt(&mut self.upstream_order_id, &other.upstream_order_id);
        merge_time(&mut self.completed_at, &other.completed_at);
        merge_time(&mut self.paid_at, &other.paid_at);
        merge_time(&mut self.ready_at, &other.ready_at);
        merge_opt(&mut self.iccid, &other.iccid);
        merge_opt(&mut self.lpa, &other.lpa);
        merge_opt(&mut self.valid_from, &other.valid_from);
        merge_opt(&mut self.valid_until, &other.valid_until);
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

    /// The state these facts mean.
    pub fn state(&self) -> OrderState {
        if self.refunded_at.is_some() {
            OrderState::Refunded
        } else if self.ready_at.is_some() {
            OrderState::Ready
        } else if self.failed_reason.is_some() {
            OrderState::Failed
        } else if self.paid_at.is_some() {
            OrderState::Provisioning
        } else if self.completed_at.is_some() {
            OrderState::Paid
        } else if self.expired_at.is_some() {
            OrderState::Expired
        } else {
            OrderState::Pending
        }
    }

    /// The ICCID of the line an order of `kind` made, once it is ready: only a ready
    /// `Esim` order has a line of its own (a top-up adds data to its parent's).
    pub fn ready_line(&self, kind: OrderKind) -> Option<&str> {
        if kind == OrderKind::Esim && self.state() == OrderState::Ready {
            self.iccid.as_deref()
        } else {
            None
        }
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
            f.ready_at = at;
            f.iccid = Some(d.line.iccid.clone());
            f.lpa = Some(d.line.smdp_plus.to_string());
            f.valid_from = rfc3339(d.line.valid_from);
            f.valid_until = rfc3339(d.line.expires_at);
        }
        EventPayload::OrderFailed(d) => {
            f.failed_reason = Some(match d.reason.as_str() {
                "provisioning_failed" => "provisioning_failed".into(),
                _ => "order_failed".into(),
            });
        }
        EventPayload::PaymentFailed(_) => f.failed_reason = Some("payment_declined".into()),
        EventPayload::RefundProcessed(_) => f.refunded_at = at,
        EventPayload::Unknown { .. } => {}
    }
    f
}

/// The facts of an upstream order as `GET /v1/orders/{id}` reports it (the
/// reconciler's view, for when webhooks are late).
pub fn facts_of_order(order: &simology::models::Order, now_ms: i64) -> Facts {
    use simology::models::OrderStatus;
    let mut f = Facts {
        upstream_order_id: Some(order.id.clone()),
        ..Facts::default()
    };
    match order.status {
        OrderStatus::Paid => {
            f.completed_at = Some(now_ms);
            f.paid_at = Some(now_ms);
        }
        OrderStatus::Ready | OrderStatus::Refunded => {
            f.completed_at = Some(now_ms);
            f.paid_at = Some(now_ms);
            if let Some(line) = &order.line {
                f.ready_at = Some(now_ms);
                f.iccid = Some(line.iccid.clone());
                f.lpa = Some(line.smdp_plus.to_string());
                f.valid_from = rfc3339(line.valid_from);
                f.valid_until = rfc3339(line.expires_at);
            }
            if order.status == OrderStatus::Refunded {
                f.refunded_at = Some(now_ms);
            }
        }
        OrderStatus::Failed => {
            f.completed_at = Some(now_ms);
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

    fn events() -> Vec<Event> {
        let line = ActivatedLine {
            iccid: "8988307000001234567".into(),
            smdp_plus: Lpa::parse("LPA:1$sm-dp-plus.simology.net$ACT-1").expect("lpa"),
            qr_url: None,
            valid_from: datetime!(2025-01-10 09:21:10 UTC),
            expires_at: datetime!(2025-02-09 23:59:59 UTC),
        };
        let mk = |id: &str, secs: i64, payload| Event {
            id: id.into(),
            created: datetime!(2025-01-10 09:20:00 UTC) + time::Duration::seconds(secs),
            payload,
        };
        vec![
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
                        quantity: 1,
                        unit_price: simology::money::Amount::new(499, 2),
                        currency: simology::Currency::USD,
                    }],
                    customer: PaidCustomer {
                        email: "a@b.co".into(),
                    },
                }),
            ),
            mk(
                "evt_3",
                60,
                EventPayload::ActivationReady(ActivationReady {
                    order_id: "ord_1".into(),
                    line,
                }),
            ),
        ]
    }

    #[test]
    fn the_happy_path_in_order() {
        let mut f = Facts::default();
        assert_eq!(f.state(), OrderState::Pending);
        let states: Vec<_> = events()
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
        assert_eq!(
            f.lpa.as_deref(),
            Some("LPA:1$sm-dp-plus.simology.net$ACT-1")
        );
        assert_eq!(f.valid_until.as_deref(), Some("2025-02-09T23:59:59Z"));
    }

    #[test]
    fn ready_before_paid_still_ends_ready() {
        let e = events();
        let mut f = Facts::default();
        f.merge(&facts_of(&e[2]));
        assert_eq!(f.state(), OrderState::Ready);
        f.merge(&facts_of(&e[1]));
        f.merge(&facts_of(&e[0]));
        assert_eq!(f.state(), OrderState::Ready);
    }

    #[test]
    fn expiry_loses_to_payment_and_refund_wins() {
        let mut f = Facts {
            expired_at: Some(1),
            ..Facts::default()
        };
        assert_eq!(f.state(), OrderState::Expired);
        assert_eq!(f.reason(), Some("payment_expired"));
        f.merge(&facts_of(&events()[1]));
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
        let mut f = Facts::default();
        for e in events() {
            f.merge(&facts_of(&e));
        }
        assert_eq!(f.ready_line(OrderKind::Esim), Some("8988307000001234567"));
        assert_eq!(f.ready_line(OrderKind::Topup), None);
        f.refunded_at = Some(1);
        assert_eq!(f.ready_line(OrderKind::Esim), None, "refunded: no line");
    }

    proptest! {
        /// Any order and any duplication of an order's events ends in the same facts.
        #[test]
        fn any_order_any_duplication_same_end(
            picks in prop::collection::vec(0usize..3, 0..12),
            perm in Just(vec![0usize, 1, 2]).prop_shuffle(),
        ) {
            let e = events();
            let mut reference = Facts::default();
            for ev in &e {
                reference.merge(&facts_of(ev));
            }
            let mut f = Facts::default();
            // Some random prefix of deliveries (duplicates allowed)...
            for i in &picks {
                f.merge(&facts_of(&e[*i]));
            }
            // ...then every event at least once, in a random order.
            for i in &perm {
                f.merge(&facts_of(&e[*i]));
            }
            prop_assert_eq!(&f, &reference);
            prop_assert_eq!(f.state(), OrderState::Ready);
        }
    }
}
