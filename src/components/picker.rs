//! The plan picker: a destination, its plans as cards (country plans and regional
//! bundles apart), a sort, and the checkout of the chosen plan.

use leptos::prelude::*;
use simology_proxy_api::{CatalogResponse, DestinationId, DestinationKind, Plan};
use simology_widget_core::format;
use simology_widget_core::i18n::fill;
use simology_widget_core::plans::{grouped, SortBy};

use crate::components::app::ctx;
use crate::components::checkout::Checkout;
use crate::components::search::DestinationSearch;
use crate::load::{load_into, Loaded};

/// The picker.
#[component]
pub fn Picker(
    /// The destination to open on.
    destination: Option<DestinationId>,
    /// A plan to reselect (after a cancelled payment).
    sku: Option<String>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let destination = RwSignal::new(destination);
    let chosen: RwSignal<Option<Plan>> = RwSignal::new(None);
    let wanted_sku = StoredValue::new(sku);
    let sort = RwSignal::new(SortBy::Price);
    // Focus follows the traveller's actions (never taken on page load): to the search
    // after "change destination", to the plans after choosing a destination or going back.
    let acted = StoredValue::new(false);
    let catalog: Loaded<CatalogResponse> = RwSignal::new(None);
    let fetch = move || {
        if let Some(d) = destination.get_untracked() {
            load_into(catalog, ctx.backend().catalog(&d));
        }
    };
    Effect::new(move |_| {
        destination.track();
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
        acted.set_value(true);
        chosen.set(None);
        destination.set(Some(d));
    });
    let change = move |_| {
        acted.set_value(true);
        chosen.set(None);
        destination.set(None);
    };
    view! {
        <div class="picker">
            {move || match (destination.get(), chosen.get()) {
                (None, _) => view! { <DestinationSearch on_select=on_select autofocus=acted.get_value() /> }.into_any(),
                (Some(chosen_for), Some(plan)) => {
                    let back = Callback::new(move |()| {
                        acted.set_value(true);
                        chosen.set(None);
                    });
                    view! { <Checkout plan=plan destination=chosen_for on_back=back /> }.into_any()
                }
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
                    if acted.get_value() {
                        title_ref.on_load(|h| {
                            let _ = h.focus();
                        });
                    }
                    view! {
                        <div class="plans-view">
                            <div class="plans-head">
                                <h2 class="plans-title" tabindex="-1" node_ref=title_ref>{heading}</h2>
                                <button type="button" class="link-button change" on:click=change>{t.change_destination}</button>
                            </div>
                            <div class="sort">
                                <label for=format!("{}-sort", ctx.instance.get_value())>{t.sort_label}</label>
                                <select
                                    id=format!("{}-sort", ctx.instance.get_value())
                                    class="sort-select"
                                    on:change=move |ev| sort.set(SortBy::parse(&event_target_value(&ev)))
                                    prop:value=move || sort.get().value()
                                >
                                    <option value="price">{t.sort_price}</option>
                                    <option value="data">{t.sort_data}</option>
                                    <option value="validity">{t.sort_validity}</option>
                                </select>
                            </div>
                            {move || match catalog.get() {
                                None => skeletons().into_any(),
                                Some(Err(e)) => view! {
                                    <div class="state error-state" role="alert">
                                        <p>{t.load_failed} " " {e.message(t)}</p>
                                        <button type="button" class="button" on:click=move |_| fetch()>{t.retry}</button>
                                    </div>
                                }.into_any(),
                                Some(Ok(response)) => plan_lists(response, sort.get(), chosen).into_any(),
                            }}
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

fn skeletons() -> impl IntoView {
    let t = ctx().t;
    view! {
        <div class="skeletons" aria-busy="true">
            <p class="sr-only" role="status">{t.loading}</p>
            <div class="plan-card skeleton"></div>
            <div class="plan-card skeleton"></div>
            <div class="plan-card skeleton"></div>
        </div>
    }
}

fn plan_lists(
    response: CatalogResponse,
    sort: SortBy,
    chosen: RwSignal<Option<Plan>>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    if response.plans.is_empty() {
        return view! { <p class="state empty-state">{t.no_plans}</p> }.into_any();
    }
    let dest = &response.destination;
    let name = ctx.destination_name(dest.kind, &dest.code, &dest.name);
    let (own, bundles) = grouped(&response.plans, sort);
    let own_title = fill(t.country_plans, &[("dest", &name)]);
    let bundle_title = fill(t.regional_plans, &[("dest", &name)]);
    let section = move |title: String, plans: Vec<Plan>, class: &'static str| {
        (!plans.is_empty()).then(|| {
            view! {
                <section class=format!("plan-group {class}")>
                    <h3 class="group-title">{title}</h3>
                    <ul class="plans">
                        {plans.into_iter().map(|p| view! { <PlanCard plan=p chosen=chosen /> }).collect_view()}
                    </ul>
                </section>
            }
        })
    };
    let show_own_title = dest.kind == DestinationKind::Country;
    view! {
        <div class="plan-lists">
            {section(if show_own_title { own_title } else { String::new() }, own, "country-plans")}
            {if dest.kind == DestinationKind::Country {
                section(bundle_title, bundles, "regional-plans").into_any()
            } else {
                section(String::new(), bundles, "regional-plans").into_any()
            }}
        </div>
    }
    .into_any()
}

/// One plan.
#[component]
fn PlanCard(plan: Plan, chosen: RwSignal<Option<Plan>>) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let data = format::data(plan.data_mb, lang);
    let days = t.days(plan.validity_days);
    let price = format::price(&plan.price, lang);
    let title_id = format!("{}-plan-{}", ctx.instance.get_value(), plan.sku);
    let title_id_ref = title_id.clone();
    let coverage = (plan.kind == DestinationKind::Region).then(|| {
        let region = ctx.destination_name(
            DestinationKind::Region,
            &plan.destination,
            &plan.destination,
        );
        let names: Vec<String> = plan
            .coverage
            .iter()
            .map(|c| ctx.country_name(lang, c).unwrap_or_else(|| c.clone()))
            .collect();
        let count = fill(
            t.covers_countries,
            &[("n", &plan.coverage.len().to_string())],
        );
        view! {
            <p class="plan-region">{region}</p>
            <details class="coverage">
                <summary>{count}</summary>
                <p class="coverage-list">{names.join(", ")}</p>
            </details>
        }
    });
    let available = plan.available;
    let sku = plan.sku.clone();
    let pick = plan.clone();
    view! {
        <li class="plan-card" class:sold-out=!available data-sku=sku aria-labelledby=title_id_ref>
            <div class="plan-main">
                <h4 class="plan-data" id=title_id.clone()>{data.clone()} <span class="plan-days">" · " {days}</span></h4>
                {coverage}
            </div>
            <div class="plan-buy">
                <p class="plan-price">{price}</p>
                {if available {
                    view! {
                        <button type="button" class="button choose" on:click=move |_| chosen.set(Some(pick.clone()))>
                            {t.choose}
                        </button>
                    }.into_any()
                } else {
                    view! { <span class="badge">{t.sold_out}</span> }.into_any()
                }}
            </div>
        </li>
    }
}
