//! An order's status: progress through payment, preparation and ready, announced in a
//! live region. Following the order (long-polls, backoff, offline spells, sleeping
//! tabs) is [`OrderPoll`]'s; this view renders what it reads.

use leptos::prelude::*;
use simology_proxy_api::{OrderRef, OrderState};
use simology_widget_core::status::{lines_message, message, steps, Step, StepState};

use crate::browser;
use crate::components::ready::Ready;
use crate::context::{ctx, Screen};
use crate::frame::{HostEvent, Sale};
use crate::polling::{OrderPoll, Watched};

/// The status of one order.
#[component]
pub fn OrderStatus(
    /// The order's reference.
    order_ref: OrderRef,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let watched = Watched::new();
    let (poll, guard) = OrderPoll::new(ctx.backend(), order_ref.clone(), ctx.pace, watched);
    // Dropped with the component, which stops the loop and removes its listeners.
    let _ = StoredValue::new_local(guard);
    leptos::task::spawn_local(poll.run());
    let Watched {
        order,
        offline,
        not_found,
    } = watched;

    // The host page hears of the payment and of the eSIM once each.
    let told = StoredValue::new((false, false));
    Effect::new(move |_| {
        let Some(o) = order.get() else { return };
        let view = &o.order;
        let paid = matches!(view.state, OrderState::Provisioning | OrderState::Ready);
        let ready = view.state == OrderState::Ready && view.topup_of.is_none();
        let (told_paid, told_ready) = told.get_value();
        let Some(sale) = Sale::of(&view.plan.sku, None, &view.plan.price, view.plan.quantity)
        else {
            return;
        };
        let analytics_id = view.analytics_id.clone();
        if paid && !told_paid {
            ctx.announce(HostEvent::Paid {
                sale: sale.clone(),
                analytics_id: analytics_id.clone(),
            });
        }
        if ready && !told_ready {
            ctx.announce(HostEvent::Ready { sale, analytics_id });
        }
        told.set_value((told_paid || paid, told_ready || ready));
    });
    Effect::new(move |_| {
        if not_found.get() {
            ctx.announce(HostEvent::Error { code: "not_found" });
        }
    });
    let order_ref_shown = order_ref.to_string();
    let again = move |_| {
        let saved = browser::saved_orders();
        let screen = match (
            saved.iter().find(|o| o.order_ref == order_ref),
            order.get_untracked(),
        ) {
            (Some(remembered), _) => Screen::again(Some(remembered)),
            (None, Some(o)) => Screen::again_from(&o.order.plan),
            (None, None) => Screen::again(None),
        };
        ctx.moved();
        ctx.screen.set(screen);
    };
    let title_ref: NodeRef<leptos::html::H2> = NodeRef::new();
    ctx.focus_heading(title_ref);
    // An order of several eSIMs says how many are ready.
    let live = move || match (not_found.get(), order.get()) {
        (true, _) => t.err_not_found.to_owned(),
        (false, Some(o)) => lines_message(&o, t).unwrap_or_else(|| message(&o.order, t).to_owned()),
        (false, None) => t.status_pending.to_owned(),
    };
    view! {
        <div class="order">
            <h2 class="order-title" tabindex="-1" node_ref=title_ref>{t.order_title}</h2>
            <p class="status-message" role="status" aria-live="polite" aria-atomic="true">{live}</p>
            {move || offline.get().then(|| view! { <p class="offline" role="alert">{t.offline}</p> })}
            {move || order.get().map(|o| view! { <Steps state=o.order.state /> })}
            {move || order.get().filter(|o| o.order.state == OrderState::Ready).map(|o| view! { <Ready order=o /> })}
            {move || {
                let failed = not_found.get()
                    || order.get().is_some_and(|o| matches!(o.order.state, OrderState::Failed | OrderState::Expired | OrderState::Refunded));
                failed.then(|| view! {
                    <button type="button" class="button choose-again" on:click=again.clone()>{t.choose_again}</button>
                })
            }}
            <div class="footer">
                <p class="reference">{t.order_reference} {t.colon} " " <code>{order_ref_shown}</code></p>
                {move || order.get().is_some_and(|o| o.order.state == OrderState::Ready && o.order.topup_of.is_none()).then(|| view! {
                    <button type="button" class="link-button new-purchase" on:click=move |_| {
                        ctx.moved();
                        ctx.screen.set(Screen::Picker { destination: None, sku: None, travellers: None });
                    }>
                        {t.new_purchase}
                    </button>
                })}
            </div>
        </div>
    }
}

/// The progress steps of an order on its way (nothing for a failed or closed one).
#[component]
fn Steps(
    /// The order's state.
    state: OrderState,
) -> impl IntoView {
    let t = ctx().t;
    steps(state).map(|s| {
        view! {
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
        }
    })
}
