//! Following an order until it settles: the first read at once, then long-polls that
//! name the version held (or reads at a fixed interval), backoff with jitter after
//! failures, the proxy's wait when rate-limited, offline spells noticed, a sleep cut
//! short when the browser comes back online or the tab becomes visible, and an end on
//! a final state, an unknown order, or when whoever started it lets go.
//!
//! The loop drives plain signals ([`Watched`]) and knows no component, so the status
//! view only renders them and a test can run the loop against a fake proxy.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use simology_proxy_api::{ErrorCode, OrderDetail, OrderRef};
use simology_widget_core::status::{backoff_ms, keep_polling, rate_limited_ms, Pace};

use crate::backend::{Backend, Failure};
use crate::browser::{self, Resume, Waker};

/// What following an order shows.
#[derive(Clone, Copy)]
pub struct Watched {
    /// The order as last read, with its lines (`None` until the first answer).
    pub order: RwSignal<Option<OrderDetail>>,
    /// Whether the browser said it was offline when the last read failed.
    pub offline: RwSignal<bool>,
    /// Whether the proxy said there is no such order (the loop has stopped).
    pub not_found: RwSignal<bool>,
}

impl Watched {
    /// Nothing read yet.
    pub fn new() -> Self {
        Watched {
            order: RwSignal::new(None),
            offline: RwSignal::new(false),
            not_found: RwSignal::new(false),
        }
    }
}

impl Default for Watched {
    fn default() -> Self {
        Self::new()
    }
}

/// The loop that follows one order; [`OrderPoll::run`] it.
pub struct OrderPoll {
    backend: Rc<dyn Backend>,
    order_ref: OrderRef,
    pace: Pace,
    into: Watched,
    waker: Waker,
    alive: Rc<Cell<bool>>,
}

/// Keeps an [`OrderPoll`] going: while it lives, the browser coming back online or the
/// tab becoming visible cuts the loop's sleep short; dropping it (with the component
/// that holds it) stops the loop, which then sets nothing more and asks nothing more.
pub struct PollGuard {
    alive: Rc<Cell<bool>>,
    waker: Waker,
    _resume: Option<Resume>,
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        self.alive.set(false);
        self.waker.wake();
    }
}

impl OrderPoll {
    /// A loop that follows `order_ref` through `backend` at `pace` into `into`, and the
    /// guard that keeps it going.
    pub fn new(
        backend: Rc<dyn Backend>,
        order_ref: OrderRef,
        pace: Pace,
        into: Watched,
    ) -> (OrderPoll, PollGuard) {
        let waker = Waker::default();
        let alive = Rc::new(Cell::new(true));
        let resume = {
            let waker = waker.clone();
            browser::on_resume(move || waker.wake())
        };
        let guard = PollGuard {
            alive: Rc::clone(&alive),
            waker: waker.clone(),
            _resume: resume,
        };
        let poll = OrderPoll {
            backend,
            order_ref,
            pace,
            into,
            waker,
            alive,
        };
        (poll, guard)
    }

    /// Follows the order until it reaches a final state (then it is marked done in
    /// this browser), the proxy does not know it, or the guard is dropped.
    pub async fn run(self) {
        let into = self.into;
        let mut failures: u32 = 0;
        while self.alive.get() {
            let known = into
                .order
                .with_untracked(|o| o.as_ref().map(|o| o.order.version));
            let ask = self.pace.next(known);
            if ask.sleep_ms > 0 && !self.sleep(ask.sleep_ms).await {
                return;
            }
            let answer = self
                .backend
                .order(&self.order_ref, ask.wait_secs, ask.version)
                .await;
            if !self.alive.get() {
                return;
            }
            let wait_ms = match answer {
                Ok(view) => {
                    failures = 0;
                    into.offline.set(false);
                    let state = view.order.state;
                    if into.order.with_untracked(|o| o.as_ref() != Some(&view)) {
                        into.order.set(Some(view));
                    }
                    if !keep_polling(state) {
                        browser::mark_done(&self.order_ref);
                        return;
                    }
                    0
                }
                Err(Failure::Api {
                    code: ErrorCode::NotFound,
                    ..
                }) => {
                    into.not_found.set(true);
                    browser::mark_done(&self.order_ref);
                    return;
                }
                Err(Failure::Api {
                    code: ErrorCode::RateLimited,
                    retry_after,
                    ..
                }) => rate_limited_ms(retry_after),
                Err(_) => {
                    failures += 1;
                    into.offline.set(!browser::online());
                    backoff_ms(failures, js_sys::Math::random())
                }
            };
            if wait_ms > 0 && !self.sleep(wait_ms).await {
                return;
            }
        }
    }

    /// Sleeps `ms` (or until woken); whether the loop should go on.
    async fn sleep(&self, ms: u32) -> bool {
        self.waker.sleep(ms).await;
        self.alive.get()
    }
}
