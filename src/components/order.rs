//! An order's status: progress through payment, preparation and ready, announced in a
//! live region, long-polling the proxy with backoff, through offline spells and
//! sleeping tabs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leptos::prelude::*;
use simology_proxy_api::{ErrorCode, OrderRef, OrderState, OrderView};
use simology_widget_core::status::{
    backoff_ms, keep_polling, message, steps, Step, StepState, LONG_POLL_SECS,
};

use crate::backend::Failure;
use crate::browser;
use crate::components::app::{ctx, Screen};
use crate::components::ready::Ready;

/// The status of one order.
#[component]
pub fn OrderStatus(
    /// The order's reference.
    order_ref: OrderRef,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let order: RwSignal<Option<OrderView>> = RwSignal::new(None);
    let offline = RwSignal::new(false);
    let fatal: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let alive = Arc::new(AtomicBool::new(true));
    let waker = browser::Waker::default();
    {
        let waker = waker.clone();
        let resume = browser::on_resume(move || waker.wake());
        // Dropped with the component, which removes the listeners.
        let _ = StoredValue::new_local(resume);
    }
    {
        let alive = Arc::clone(&alive);
        on_cleanup(move || alive.store(false, Ordering::SeqCst));
    }
    let backend = ctx.backend();
    let poll_ref = order_ref.clone();
    leptos::task::spawn_local(async move {
        let mut failures: u32 = 0;
        loop {
            if !alive.load(Ordering::SeqCst) {
                return;
            }
            let known = order.get_untracked();
            let (wait, version) = match (&known, ctx.poll_interval_ms) {
                (Some(_), Some(ms)) => {
                    waker.sleep(ms).await;
                    (0, None)
                }
                (Some(o), None) => (LONG_POLL_SECS, Some(o.version)),
                (None, _) => (0, None),
            };
            match backend.order(&poll_ref, wait, version).await {
                Ok(view) => {
                    if !alive.load(Ordering::SeqCst) {
                        return;
                    }
                    failures = 0;
                    offline.set(false);
                    let state = view.state;
                    if order.get_untracked().as_ref() != Some(&view) {
                        order.set(Some(view));
                    }
                    if !keep_polling(state) {
                        browser::mark_done(&poll_ref);
                        return;
                    }
                }
                Err(Failure::Api {
                    code: ErrorCode::NotFound,
                    ..
                }) => {
                    fatal.set(Some(t.err_not_found));
                    browser::mark_done(&poll_ref);
                    return;
                }
                Err(Failure::Api {
                    code: ErrorCode::RateLimited,
                    retry_after,
                    ..
                }) => {
                    let secs = retry_after.unwrap_or(5).clamp(1, 60);
                    waker
                        .sleep(u32::try_from(secs * 1000).unwrap_or(60_000))
                        .await;
                }
                Err(_) => {
                    failures += 1;
                    offline.set(!browser::online());
                    waker
                        .sleep(backoff_ms(failures, js_sys::Math::random()))
                        .await;
                }
            }
        }
    });

    let order_ref_shown = order_ref.to_string();
    let again = move |_| {
        let saved = browser::saved_orders();
        let found = saved.iter().find(|o| o.order_ref == order_ref);
        ctx.screen.set(Screen::Picker {
            destination: found.map(|o| o.destination.clone()),
            sku: found.map(|o| o.sku.clone()),
        });
    };
    let live = move || match (fatal.get(), order.get()) {
        (Some(text), _) => text,
        (None, Some(o)) => message(&o, t),
        (None, None) => t.status_pending,
    };
    view! {
        <div class="order">
            <h2 class="order-title">{t.order_title}</h2>
            <p class="status-message" role="status" aria-live="polite" aria-atomic="true">{live}</p>
            {move || offline.get().then(|| view! { <p class="offline" role="alert">{t.offline}</p> })}
            {move || order.get().and_then(|o| steps(o.state)).map(|s| view! {
                <ol class="steps">
                    {s.into_iter().map(|(step, state)| {
                        let label = match step {
                            Step::Payment => t.step_payment,
                            Step::Preparing => t.step_preparing,
                            Step::Ready => t.step_ready,
                        };
                        let class = match state {
                            StepState::Done => "step done",
                            StepState::Current => "step current",
                            StepState::Todo => "step todo",
                        };
                        let current = (state == StepState::Current).then_some("step");
                        view! { <li class=class aria-current=current>{label}</li> }
                    }).collect_view()}
                </ol>
            })}
            {move || order.get().filter(|o| o.state == OrderState::Ready).map(|o| view! { <Ready order=o /> })}
            {move || {
                let failed = fatal.get().is_some()
                    || order.get().is_some_and(|o| matches!(o.state, OrderState::Failed | OrderState::Expired | OrderState::Refunded));
                failed.then(|| view! {
                    <button type="button" class="button" on:click=again.clone()>{t.choose_again}</button>
                })
            }}
            <p class="reference">{t.order_reference} ": " <code>{order_ref_shown}</code></p>
        </div>
    }
}
