//! Order status: what the traveller is told, the progress steps, and when to poll next.

use simology_proxy_api::{OrderState, OrderView};

use crate::i18n::Strings;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;
    use simology_proxy_api::{CurrencyCode, OrderPlan, OrderRef, Price};

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
