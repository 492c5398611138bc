//! A destination's plans as cards, made to fit a phone: a switch between a country's own
//! plans and the regional bundles that include it (only when both exist), filter chips
//! by data and by validity, a sort, and per card its data, validity, price, price per
//! GB, a "best value" mark computed from the catalogue, coverage, and a button to
//! choose it. Sold-out plans come last.

use leptos::prelude::*;
use simology_proxy_api::{CatalogResponse, DestinationKind, FunnelEvent, Plan};
use simology_widget_core::format;
use simology_widget_core::i18n::fill;
use simology_widget_core::plans::{
    best_value, data_chips, day_chips, shown, Facet, Filter, Scope, Scopes, SortBy,
};

use crate::context::ctx;
use crate::frame::{HostEvent, Sale};

/// Placeholders while the catalogue loads, announced as loading.
#[component]
pub fn Skeletons() -> impl IntoView {
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

/// A toggle over the plans: `band` of `facet`, pressed or not in `filter`. Not generic,
/// so every toggle (the switch and the chips) shares one copy of its code in the wasm.
fn toggle(
    class: &'static str,
    label: String,
    filter: RwSignal<Filter>,
    facet: Facet,
    band: u8,
) -> impl IntoView {
    view! {
        <button type="button" class=class
            aria-pressed=move || filter.with(|f| f.pressed(facet, band)).to_string()
            on:click=move |_| filter.update(|f| f.press(facet, band))>
            {label}
        </button>
    }
}

/// One row of filter chips for the plans of a scope, each a band and its label
/// (nothing when there is no choice); hidden while another scope shows.
fn chip_row(
    label: &'static str,
    id: String,
    chips: Vec<(u8, String)>,
    filter: RwSignal<Filter>,
    facet: Facet,
    scope: Scope,
) -> impl IntoView {
    (!chips.is_empty()).then(|| {
        let labelled_by = id.clone();
        view! {
            <div class="chips" role="group" aria-labelledby=labelled_by hidden=move || filter.with(|f| f.scope != scope)>
                <span class="chips-label" id=id>{label}</span>
                {chips.into_iter().map(|(band, text)| toggle("chip", text, filter, facet, band)).collect_view()}
            </div>
        }
    })
}

/// A destination's plans, one scope at a time, filtered and sorted.
#[component]
pub fn PlanLists(
    /// The destination's catalogue.
    response: CatalogResponse,
    /// The order of the plans (kept across destinations).
    sort: RwSignal<SortBy>,
    /// Set to the plan the traveller chooses.
    chosen: RwSignal<Option<Plan>>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    if response.plans.is_empty() {
        return view! { <p class="state empty-state">{t.no_plans}</p> }.into_any();
    }
    let dest = &response.destination;
    let kind = dest.kind;
    let name = ctx.destination_name(kind, &dest.code, &dest.name);
    let scopes = StoredValue::new(Scopes::of(&response.plans, kind));
    let filter = RwSignal::new(Filter::on(scopes.with_value(Scopes::first)));
    let switch = scopes.with_value(Scopes::both).then(|| {
        view! {
            <div class="scope" role="group">
                {toggle("scope-button", fill(t.scope_own, &[("dest", &name)]), filter, Facet::Scope, 0)}
                {toggle("scope-button", t.scope_regional.to_owned(), filter, Facet::Scope, 1)}
            </div>
        }
    });
    // Each scope's chips, made once: a press on one keeps them (and the focus); those of
    // the other scope wait hidden.
    let rows = |scope: Scope| {
        let plans = scopes.with_value(|s| s.plans(scope).to_vec());
        let data = data_chips(&plans)
            .iter()
            .map(|c| (c.band, format::data_range(c.low, c.high, lang)))
            .collect();
        let days = day_chips(&plans)
            .iter()
            .map(|c| {
                // Validities are u32: the casts cannot truncate.
                let (low, high) = (c.low as u32, c.high as u32);
                let text = if low == high {
                    t.days(low)
                } else {
                    t.days_range(low, high)
                };
                (c.band, text)
            })
            .collect();
        let id = |row: &str| ctx.id(&format!("{row}-{}", scope as u8));
        view! {
            {chip_row(t.sort_data, id("data"), data, filter, Facet::Data, scope)}
            {chip_row(t.sort_validity, id("days"), days, filter, Facet::Days, scope)}
        }
    };
    let filters = view! { {rows(Scope::Own)} {rows(Scope::Regional)} };
    let list = move || {
        let f = filter.get();
        let (plans, best) = scopes.with_value(|all| {
            let plans = all.plans(f.scope);
            let best: Vec<String> = best_value(plans).into_iter().map(str::to_owned).collect();
            (shown(plans, f, sort.get()), best)
        });
        if plans.is_empty() {
            return view! {
                <div class="state empty-state">
                    <p>{t.no_match}</p>
                    <button type="button" class="link-button" on:click=move |_| filter.update(|f| *f = Filter::on(f.scope))>{t.clear_filters}</button>
                </div>
            }
            .into_any();
        }
        let class = if f.scope == Scope::Own && kind == DestinationKind::Country {
            "plans country-plans"
        } else {
            "plans regional-plans"
        };
        view! {
            <ul class=class>
                {plans.into_iter().map(|p| {
                    let best = best.contains(&p.sku);
                    view! { <PlanCard plan=p best=best chosen=chosen /> }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="plan-lists">
            {switch}
            <div class="filters">
                {filters}
                <div class="sort">
                    <label for=ctx.id("sort")>{t.sort_label}</label>
                    <select
                        id=ctx.id("sort")
                        class="sort-select"
                        on:change=move |ev| sort.set(SortBy::parse(&event_target_value(&ev)))
                        prop:value=move || sort.get().value()
                    >
                        <option value="price">{t.sort_price}</option>
                        <option value="data">{t.sort_data}</option>
                        <option value="validity">{t.sort_validity}</option>
                    </select>
                </div>
            </div>
            {list}
        </div>
    }
    .into_any()
}

/// One plan, with a button to choose it (or a sold-out badge).
#[component]
fn PlanCard(
    /// The plan.
    plan: Plan,
    /// Whether it is the best value of its list.
    best: bool,
    /// Set to the plan when it is chosen.
    chosen: RwSignal<Option<Plan>>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let data = format::data(plan.data_mb, lang);
    let days = t.days(plan.validity_days);
    let price = format::price(&plan.price, lang);
    let per_gb = format::per_gb(&plan.price, plan.data_mb, lang);
    let title_id = ctx.id(&format!("plan-{}", plan.sku));
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
        let count = t.covers_countries.n(plan.coverage.len() as u64);
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
        <li class="plan-card" class:sold-out=!available class:best=best data-sku=sku aria-labelledby=title_id_ref>
            <div class="plan-main">
                <h3 class="plan-data" id=title_id.clone()>{data.clone()} <span class="plan-days">" · " {days}</span></h3>
                {best.then(|| view! { <p class="badge best-value">{t.best_value}</p> })}
                {coverage}
            </div>
            <div class="plan-buy">
                <div class="plan-cost">
                    <p class="plan-price">{price}</p>
                    {per_gb.map(|u| view! { <p class="plan-unit">{u}</p> })}
                </div>
                {if available {
                    view! {
                        <button type="button" class="button choose" on:click=move |_| {
                            ctx.report(FunnelEvent::PlanChosen, Some(&pick.destination));
                            if let Some(sale) = Sale::of_plan(&pick, 1) {
                                ctx.announce(HostEvent::PlanChosen(sale));
                            }
                            chosen.set(Some(pick.clone()));
                        }>
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
