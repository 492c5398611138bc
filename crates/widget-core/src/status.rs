//! Order status: what the traveller is told, the progress steps, and when to poll next
//! (the pace of reads, the backoff after failures, the wait when rate-limited).

use simology_proxy_api::OrderState;
#[cfg(feature = "status")]
use simology_proxy_api::{Esim, LineState, OrderDetail, OrderView};

#[cfg(feature = "status")]
use crate::i18n::{fill, Strings};

/// The progress steps shown while an order completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Payment (waiting or confirming).
    Payment,
    /// The eSIM is being prepared.
    Preparing,
    /// Ready to install.
    Ready,
}

/// Where each step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Done.
    Done,
    /// Under way now.
    Current,
    /// Not yet.
    Todo,
}

/// The steps and their states for an order state (`None` for a failed or closed order).
pub fn steps(state: OrderState) -> Option<[(Step, StepState); 3]> {
    use StepState::*;
    let s = match state {
        OrderState::Pending | OrderState::Paid => [Current, Todo, Todo],
        OrderState::Provisioning => [Done, Current, Todo],
        OrderState::Ready => [Done, Done, Done],
        OrderState::Failed | OrderState::Expired | OrderState::Refunded => return None,
    };
    Some([
        (Step::Payment, s[0]),
        (Step::Preparing, s[1]),
        (Step::Ready, s[2]),
    ])
}

/// The sentence for the live region.
#[cfg(feature = "status")]
pub fn message(order: &OrderView, t: &Strings) -> &'static str {
    match order.state {
        OrderState::Pending => t.status_pending,
        OrderState::Paid => t.status_paid,
        OrderState::Provisioning => t.status_provisioning,
        OrderState::Ready if order.topup_of.is_some() => t.status_topup_ready,
        OrderState::Ready => t.status_ready,
        OrderState::Failed => match order.reason.as_deref() {
            Some("payment_declined") => t.status_declined,
            Some("provisioning_failed") => t.status_provisioning_failed,
            _ => t.status_failed,
        },
        OrderState::Expired => t.status_expired,
        OrderState::Refunded => t.status_refunded,
    }
}

#[cfg(feature = "status")]
/// The sentence for an order of several eSIMs, where it differs from [`message`]'s:
/// how many have arrived while they are prepared ("2 of 3 eSIMs ready"), and how many
/// work once the order is ready ("Your 3 eSIMs are ready"; one left working is "Your
/// eSIM is ready"). `None` for an order of one eSIM, a top-up, and other states.
pub fn lines_message(order: &OrderDetail, t: &Strings) -> Option<String> {
    if order.lines_total < 2 || order.order.topup_of.is_some() {
        return None;
    }
    match order.order.state {
        OrderState::Provisioning => Some(fill(
            t.status_lines.form(order.lines_total),
            &[
                ("ready", &order.lines_ready.to_string()),
                ("total", &order.lines_total.to_string()),
            ],
        )),
        OrderState::Ready => {
            let working = order
                .lines
                .iter()
                .filter(|l| l.state == LineState::Ready)
                .count();
            (working > 1).then(|| t.status_ready_many.n(working as u64))
        }
        _ => None,
    }
}

#[cfg(feature = "status")]
/// One traveller's card in the ready view of an order of several eSIMs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traveller<'a> {
    /// "Traveller 1", "Traveller 2"...: the line's place in the order (lines come by
    /// ICCID, and the order is ready only once all of them are in, so places hold).
    pub number: u32,
    /// The line's ICCID: the key of its card, its usage and its top-ups.
    pub iccid: &'a str,
    /// Its credentials while it works; never for a refunded line.
    pub esim: Option<&'a Esim>,
    /// Whether its card starts open: the first line that works (the others are one
    /// tap away).
    pub open: bool,
}

#[cfg(feature = "status")]
/// The travellers' cards of a ready order of several eSIMs, one per line. `None` for
/// an order of one eSIM (shown as one eSIM, with no "Traveller 1"), and for a top-up.
pub fn travellers(order: &OrderDetail) -> Option<Vec<Traveller<'_>>> {
    let several = order.lines_total > 1 || order.lines.len() > 1;
    if !several || order.order.topup_of.is_some() {
        return None;
    }
    let first_working = order.lines.iter().position(|l| l.state == LineState::Ready);
    Some(
        order
            .lines
            .iter()
            .zip(1..)
            .enumerate()
            .map(|(i, (line, number))| Traveller {
                number,
                iccid: &line.iccid,
                esim: line
                    .esim
                    .as_ref()
                    .filter(|_| line.state == LineState::Ready),
                open: first_working == Some(i),
            })
            .collect(),
    )
}

/// Whether polling should go on: until ready (then only for usage), failed, expired or
/// refunded.
pub fn keep_polling(state: OrderState) -> bool {
    !state.is_final()
}

/// The wait before poll number `failures + 1` after `failures` failed polls in a row:
/// 1 s, 2 s, 4 s... up to 30 s, with up to 25 % jitter from `jitter` in `[0, 1)`.
/// After a success the long-poll itself paces the loop, so there is no wait.
pub fn backoff_ms(failures: u32, jitter: f64) -> u32 {
    if failures == 0 {
        return 0;
    }
    let base = 1000u32
        .saturating_mul(1 << (failures - 1).min(5))
        .min(30_000);
    let extra = (f64::from(base) * 0.25 * jitter.clamp(0.0, 1.0)) as u32;
    base + extra
}

/// The long-poll wait to ask for: the proxy's maximum.
pub const LONG_POLL_SECS: u64 = simology_proxy_api::MAX_WAIT_SECS;

/// How the widget follows an order once it has read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Long-poll: the proxy answers when the order's version changes (production).
    LongPoll,
    /// Ask every this many milliseconds (for measuring what long-polling buys).
    Every(u32),
}

impl Pace {
    /// The pace for an optional interval: long-polling without one.
    pub fn from_interval(interval_ms: Option<u32>) -> Self {
        interval_ms.map_or(Pace::LongPoll, Pace::Every)
    }

    /// The next request, given the version of the order already read (if any): the
    /// first read answers at once, then long-polls name the version they hold.
    pub fn next(self, known_version: Option<i64>) -> Ask {
        match (known_version, self) {
            (None, _) => Ask {
                sleep_ms: 0,
                wait_secs: 0,
                version: None,
            },
            (Some(version), Pace::LongPoll) => Ask {
                sleep_ms: 0,
                wait_secs: LONG_POLL_SECS,
                version: Some(version),
            },
            (Some(_), Pace::Every(ms)) => Ask {
                sleep_ms: ms,
                wait_secs: 0,
                version: None,
            },
        }
    }
}

/// One request for an order: sleep first, then ask with `wait` and `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    /// Milliseconds to sleep before asking.
    pub sleep_ms: u32,
    /// Seconds the proxy may hold the request (`wait`).
    pub wait_secs: u64,
    /// The version already held (`version`), so the proxy answers on a change.
    pub version: Option<i64>,
}

/// The wait after a rate-limited poll: the proxy's `retry_after` (5 s when it gives
/// none), kept between 1 s and 60 s.
pub fn rate_limited_ms(retry_after: Option<u64>) -> u32 {
    let secs = retry_after.unwrap_or(5).clamp(1, 60);
    u32::try_from(secs * 1000).unwrap_or(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "status")]
    use crate::i18n::{EN, FR};
    #[cfg(feature = "status")]
    use simology_proxy_api::{CurrencyCode, Line, OrderPlan, OrderRef, Price};

    #[cfg(feature = "status")]
    fn order(state: OrderState, reason: Option<&str>) -> OrderView {
        OrderView {
            order_ref: OrderRef::from_bits(1),
            state,
            reason: reason.map(str::to_owned),
            plan: OrderPlan {
                sku: "US-1GB-7D".into(),
                name: "US".into(),
                coverage: vec![],
                data_mb: 1024,
                validity_days: 7,
                quantity: 1,
                price: Price {
                    minor: 450,
                    currency: CurrencyCode(*b"USD"),
                    decimals: 2,
                },
                terms_url: String::new(),
            },
            esim: None,
            topup_of: None,
            email_on_file: false,
            analytics_id: String::new(),
            version: 1,
            updated_at: String::new(),
        }
    }

    #[test]
    fn transitions_show_progress() {
        let seq = [
            OrderState::Pending,
            OrderState::Paid,
            OrderState::Provisioning,
            OrderState::Ready,
        ];
        let currents: Vec<Step> = seq
            .iter()
            .filter_map(|s| steps(*s))
            .map(|st| {
                st.iter()
                    .find(|(_, s)| *s == StepState::Current)
                    .map_or(Step::Ready, |(k, _)| *k)
            })
            .collect();
        assert_eq!(
            currents,
            vec![Step::Payment, Step::Payment, Step::Preparing, Step::Ready]
        );
        assert!(steps(OrderState::Failed).is_none());
        assert!(keep_polling(OrderState::Provisioning));
        assert!(!keep_polling(OrderState::Ready));
    }

    #[test]
    #[cfg(feature = "status")]
    fn messages_name_the_failure() {
        assert_eq!(
            message(&order(OrderState::Failed, Some("payment_declined")), &EN),
            EN.status_declined
        );
        assert_eq!(
            message(&order(OrderState::Failed, Some("provisioning_failed")), &EN),
            EN.status_provisioning_failed
        );
        assert_eq!(
            message(&order(OrderState::Failed, None), &EN),
            EN.status_failed
        );
        assert_eq!(
            message(&order(OrderState::Provisioning, None), &EN),
            EN.status_provisioning
        );
        let mut topup = order(OrderState::Ready, None);
        topup.topup_of = Some(OrderRef::from_bits(0));
        assert_eq!(message(&topup, &EN), EN.status_topup_ready);
    }

    #[cfg(feature = "status")]
    fn several(state: OrderState, lines: &[LineState], total: u32) -> OrderDetail {
        let mut order = order(state, None);
        order.plan.quantity = total;
        OrderDetail {
            order,
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, state)| Line {
                    iccid: format!("89883070000000000{i}"),
                    state: *state,
                    esim: None,
                })
                .collect(),
            lines_ready: u32::try_from(lines.len()).expect("few"),
            lines_total: total,
            topup_line: None,
        }
    }

    #[test]
    #[cfg(feature = "status")]
    fn orders_of_several_esims_say_how_many() {
        use LineState::{Ready, Refunded};
        let provisioning = several(OrderState::Provisioning, &[Ready, Ready], 3);
        assert_eq!(
            lines_message(&provisioning, &EN).as_deref(),
            Some("Payment confirmed. 2 of 3 eSIMs ready…")
        );
        assert_eq!(
            lines_message(&provisioning, &FR).as_deref(),
            Some("Paiement confirmé. eSIM prêtes\u{a0}: 2 sur 3…")
        );
        assert_eq!(
            lines_message(&several(OrderState::Provisioning, &[], 3), &EN).as_deref(),
            Some("Payment confirmed. 0 of 3 eSIMs ready…")
        );
        assert_eq!(
            lines_message(&several(OrderState::Ready, &[Ready, Ready, Ready], 3), &EN).as_deref(),
            Some("Your 3 eSIMs are ready.")
        );
        // A refunded line no longer counts; one left working is "your eSIM".
        assert_eq!(
            lines_message(
                &several(OrderState::Ready, &[Ready, Refunded, Ready], 3),
                &EN
            )
            .as_deref(),
            Some("Your 2 eSIMs are ready.")
        );
        assert_eq!(
            lines_message(&several(OrderState::Ready, &[Refunded, Ready], 2), &EN),
            None
        );
        // One eSIM, other states, and top-ups: the ordinary sentences.
        assert_eq!(
            lines_message(&several(OrderState::Ready, &[Ready], 1), &EN),
            None
        );
        assert_eq!(lines_message(&several(OrderState::Paid, &[], 3), &EN), None);
        let mut topup = several(OrderState::Ready, &[], 0);
        topup.order.topup_of = Some(OrderRef::from_bits(0));
        assert_eq!(lines_message(&topup, &EN), None);
    }

    #[cfg(feature = "status")]
    fn esim(iccid: &str) -> Esim {
        Esim {
            iccid: iccid.into(),
            lpa: format!("LPA:1$smdp.example${iccid}"),
            smdp_address: "smdp.example".into(),
            activation_code: iccid.into(),
            valid_from: String::new(),
            valid_until: String::new(),
        }
    }

    #[cfg(feature = "status")]
    /// A ready order of `lines`, each with its credentials (as the proxy would leave a
    /// refunded one's, to check that the widget withholds them all the same).
    fn ready_with(lines: &[LineState]) -> OrderDetail {
        let mut detail = several(
            OrderState::Ready,
            lines,
            u32::try_from(lines.len()).expect("few"),
        );
        for line in &mut detail.lines {
            line.esim = Some(esim(&line.iccid));
        }
        detail
    }

    #[test]
    #[cfg(feature = "status")]
    fn each_traveller_has_a_card_in_line_order_with_the_first_open() {
        use LineState::Ready;
        let order = ready_with(&[Ready, Ready, Ready]);
        let cards = travellers(&order).expect("several");
        let numbers: Vec<u32> = cards.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 2, 3]);
        let iccids: Vec<&str> = cards.iter().map(|c| c.iccid).collect();
        let lines: Vec<&str> = order.lines.iter().map(|l| l.iccid.as_str()).collect();
        assert_eq!(iccids, lines);
        for card in &cards {
            assert_eq!(
                card.esim.map(|e| e.iccid.as_str()),
                Some(card.iccid),
                "its own line"
            );
        }
        let open: Vec<bool> = cards.iter().map(|c| c.open).collect();
        assert_eq!(open, [true, false, false]);
    }

    #[test]
    #[cfg(feature = "status")]
    fn a_refunded_line_keeps_its_place_and_shows_no_credentials() {
        use LineState::{Ready, Refunded};
        let order = ready_with(&[Refunded, Ready, Ready]);
        let cards = travellers(&order).expect("several");
        assert_eq!(cards[0].number, 1);
        assert_eq!(cards[0].esim, None, "withheld even if sent");
        assert!(!cards[0].open, "the first card that works opens");
        assert!(cards[1].open && !cards[2].open);
        assert!(cards[1].esim.is_some() && cards[2].esim.is_some());
    }

    #[test]
    #[cfg(feature = "status")]
    fn an_order_of_one_and_a_topup_have_no_travellers() {
        use LineState::Ready;
        assert_eq!(travellers(&ready_with(&[Ready])), None);
        let mut topup = ready_with(&[]);
        topup.order.topup_of = Some(OrderRef::from_bits(0));
        assert_eq!(travellers(&topup), None);
        // Several paid for: cards, even while only some are listed.
        let mut partial = ready_with(&[Ready]);
        partial.lines_total = 2;
        assert_eq!(travellers(&partial).map(|c| c.len()), Some(1));
    }

    #[test]
    fn the_first_read_is_immediate_then_the_pace_decides() {
        let first = Ask {
            sleep_ms: 0,
            wait_secs: 0,
            version: None,
        };
        assert_eq!(Pace::LongPoll.next(None), first);
        assert_eq!(Pace::Every(2000).next(None), first);
        assert_eq!(
            Pace::LongPoll.next(Some(7)),
            Ask {
                sleep_ms: 0,
                wait_secs: LONG_POLL_SECS,
                version: Some(7),
            }
        );
        assert_eq!(
            Pace::Every(2000).next(Some(7)),
            Ask {
                sleep_ms: 2000,
                wait_secs: 0,
                version: None,
            }
        );
        assert_eq!(Pace::from_interval(None), Pace::LongPoll);
        assert_eq!(Pace::from_interval(Some(900)), Pace::Every(900));
    }

    #[test]
    fn rate_limits_wait_as_told_within_bounds() {
        assert_eq!(rate_limited_ms(None), 5000);
        assert_eq!(rate_limited_ms(Some(0)), 1000);
        assert_eq!(rate_limited_ms(Some(7)), 7000);
        assert_eq!(rate_limited_ms(Some(u64::MAX)), 60_000);
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(0, 0.5), 0);
        assert_eq!(backoff_ms(1, 0.0), 1000);
        assert_eq!(backoff_ms(2, 0.0), 2000);
        assert_eq!(backoff_ms(3, 0.0), 4000);
        assert_eq!(backoff_ms(20, 0.0), 30_000);
        assert_eq!(backoff_ms(20, 1.0), 37_500);
    }
}
