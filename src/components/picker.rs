//! The plan picker: a destination (searched for when none is given), its plans, and the
//! checkout of the chosen plan; where the focus goes as the traveller moves between
//! them.
//!
//! The picker module (the feature `picker` alone) holds no checkout: a chosen plan goes
//! to the checkout module ([`crate::loader::to_checkout`]), which holds this picker too
//! and the checkout, and takes the frame over from there. What the traveller needs to
//! choose a plan comes first; what only a choice needs comes with it.

use leptos::prelude::*;
use simology_proxy_api::{CatalogResponse, DestinationId, FunnelEvent, Plan};
use simology_widget_core::i18n::fill;
use simology_widget_core::plans::SortBy;

#[cfg(feature = "checkout")]
use crate::components::checkout::Checkout;
use crate::components::plans::{PlanLists, Skeletons};
use crate::components::search::DestinationSearch;
use crate::context::ctx;
use crate::frame::HostEvent;
use crate::load::{load_into, Loaded};

/// The picker.
#[component]
pub fn Picker(
    /// The destination to open on.
    destination: Option<DestinationId>,
    /// A plan to reselect (after a cancelled payment).
    sku: Option<String>,
    /// How many travellers it was for.
    travellers: Option<u32>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    // The proxy's rendering of this destination, if it made one: the plans (and a
    // cancelled payment's plan) show at once, exactly as the proxy drew them, and are
    // not asked for again.
    let primed = destination.as_ref().and_then(|d| ctx.primed(d));
    let first_choice = primed.as_ref().and_then(|c| {
        let sku = sku.as_deref()?;
        c.plans
            .iter()
            .find(|p| p.sku == sku && p.available)
            .cloned()
    });
    let wanted_sku = StoredValue::new(sku.filter(|_| first_choice.is_none() && primed.is_none()));
    let fetched_first = primed.is_some();
    let destination = RwSignal::new(destination);
    let chosen: RwSignal<Option<Plan>> = RwSignal::new(first_choice);
    let wanted_travellers = StoredValue::new(travellers);
    let sort = RwSignal::new(SortBy::Price);
    // Focus follows the traveller's actions (never taken on page load): to the search
    // after "change destination", to the plans' heading after choosing a destination,
    // going back or retrying, to the checkout's heading after choosing a plan.
    let catalog: Loaded<CatalogResponse> = RwSignal::new(primed.map(Ok));
    let fetch = move || {
        if let Some(d) = destination.get_untracked() {
            load_into(catalog, ctx.backend().catalog(&d));
        }
    };
    let skip = StoredValue::new(fetched_first);
    Effect::new(move |_| {
        destination.track();
        // The first run, over the proxy's rendering: its catalogue is the one shown.
        if skip.get_value() {
            skip.set_value(false);
            return;
        }
        fetch();
    });
    // Reselect the plan of a cancelled payment once its catalogue is in.
    Effect::new(move |_| {
        if let Some(Ok(response)) = catalog.get() {
            if let Some(sku) = wanted_sku.get_value() {
                wanted_sku.set_value(None);
                chosen.set(
                    response
                        .plans
                        .iter()
                        .find(|p| p.sku == sku && p.available)
                        .cloned(),
                );
            }
        }
    });
    let on_select = Callback::new(move |d: DestinationId| {
        ctx.report(FunnelEvent::DestinationChosen, Some(&d.code));
        ctx.announce(HostEvent::DestinationChosen {
            destination: d.code.clone(),
        });
        ctx.moved();
        chosen.set(None);
        destination.set(Some(d));
    });
    // Without the checkout in this build, a choice goes to the module that has it; the
    // plans stay on screen meanwhile.
    #[cfg(not(feature = "checkout"))]
    Effect::new(move |_| {
        if let (Some(d), Some(plan)) = (destination.get(), chosen.get()) {
            let rendered = ctx.primed(&d).is_some();
            crate::loader::to_checkout(&d, &plan.sku, wanted_travellers.get_value(), rendered);
        }
    });
    #[cfg(feature = "checkout")]
    let shown = move || chosen.get();
    #[cfg(not(feature = "checkout"))]
    let shown = move || None::<Plan>;
    let change = move |_| {
        ctx.moved();
        chosen.set(None);
        destination.set(None);
    };
    view! {
        <div class="picker">
            {move || match (destination.get(), shown()) {
                (None, _) => view! { <DestinationSearch on_select=on_select autofocus=ctx.has_moved() /> }.into_any(),
                #[cfg(feature = "checkout")]
                (Some(chosen_for), Some(plan)) => {
                    let back = Callback::new(move |()| {
                        ctx.moved();
                        chosen.set(None);
                    });
                    // As many travellers as a cancelled payment was for.
                    let travellers = wanted_travellers.get_value();
                    view! { <Checkout plan=plan destination=chosen_for travellers=travellers on_back=back /> }.into_any()
                }
                #[cfg(not(feature = "checkout"))]
                (Some(_), Some(_)) => ().into_any(),
                (Some(DestinationId { kind, code }), None) => {
                    let heading = move || {
                        let fallback = code.clone();
                        let name = match catalog.get() {
                            Some(Ok(r)) => ctx.destination_name(kind, &r.destination.code, &r.destination.name),
                            _ => ctx.destination_name(kind, &fallback, &fallback),
                        };
                        fill(t.plans_for, &[("dest", &name)])
                    };
                    let title_ref: NodeRef<leptos::html::H2> = NodeRef::new();
                    ctx.focus_heading(title_ref);
                    // "Try again" goes with the error it answers: the focus waits on
                    // the heading for the plans.
                    let retry = move |_| {
                        ctx.moved();
                        if let Some(h) = title_ref.get_untracked() {
                            let _ = h.focus();
                        }
                        fetch();
                    };
                    view! {
                        <div class="plans-view">
                            <button type="button" class="link-button back change" on:click=change>{t.change_destination}</button>
                            <h2 class="plans-title" tabindex="-1" node_ref=title_ref>{heading}</h2>
                            {move || match catalog.get() {
                                None => view! { <Skeletons /> }.into_any(),
                                Some(Err(e)) => {
                                    ctx.announce(HostEvent::Error { code: e.code_name() });
                                    view! {
                                    <div class="state error-state" role="alert">
                                        <p>{t.load_failed} " " {e.message(t)}</p>
                                        <button type="button" class="button retry" on:click=retry>{t.retry}</button>
                                    </div>
                                }.into_any()
                                }
                                Some(Ok(response)) => view! { <PlanLists response=response sort=sort chosen=chosen /> }.into_any(),
                            }}
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}
