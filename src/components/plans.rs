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
use wasm_bindgen::JsCast;

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

/// A filter chip over the plans: `band` of `facet`, pressed or not in `filter`. Not
/// generic, so every chip shares one copy of its code in the wasm.
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

/// The switch between a country's own plans and the regional ones: a named radio group,
/// one stop in the tab order, arrows move the choice (WAI-ARIA's radio group pattern).
fn scope_switch(own: String, regional: &'static str, filter: RwSignal<Filter>) -> impl IntoView {
    let t = ctx().t;
    let group: NodeRef<leptos::html::Div> = NodeRef::new();
    let checked = move |band: u8| filter.with(|f| f.pressed(Facet::Scope, band));
    let pick = move |band: u8| {
        if !checked(band) {
            filter.update(|f| f.press(Facet::Scope, band));
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" | "ArrowLeft" | "ArrowUp" => u8::from(checked(0)),
            _ => return,
        };
        ev.prevent_default();
        pick(next);
        if let Some(button) = group
            .get_untracked()
            .and_then(|g| {
                g.query_selector(&format!("[data-band='{next}']"))
                    .ok()
                    .flatten()
            })
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = button.focus();
        }
    };
    let radio = move |band: u8, label: String| {
        view! {
            <button type="button" class="scope-button" role="radio" data-band=band.to_string()
                aria-checked=move || checked(band).to_string()
                tabindex=move || if checked(band) { "0" } else { "-1" }
                on:click=move |_| pick(band)>
                {label}
            </button>
        }
    };
    view! {
        <div class="scope" role="radiogroup" aria-label=t.scope_label node_ref=group on:keydown=on_key>
            {radio(0, own)}
            {radio(1, regional.to_owned())}
        </div>
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
        scope_switch(
            fill(t.scope_own, &[("dest", &name)]),
            t.scope_regional,
            filter,
        )
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
    // How many plans show, spoken when a filter changes it ("No plan matches" for none).
    let count = Memo::new(move |_| {
        let f = filter.get();
        scopes.with_value(|all| shown(all.plans(f.scope), f, SortBy::Price).len())
    });
    Effect::new(move |before: Option<usize>| {
        let now = count.get();
        if before.is_some_and(|b| b != now) {
            ctx.say(if now == 0 {
                t.no_match.to_owned()
            } else {
                t.plans_shown.n(now as u64)
            });
        }
        now
    });
    let lists: NodeRef<leptos::html::Div> = NodeRef::new();
    // "Show all plans" goes with the plans it brings back: the focus moves to the
    // first chip of the scope on show.
    let clear = move |_| {
        filter.update(|f| *f = Filter::on(f.scope));
        if let Some(chip) = lists
            .get_untracked()
            .and_then(|l| {
                l.query_selector(".chips:not([hidden]) .chip")
                    .ok()
                    .flatten()
            })
            .and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = chip.focus();
        }
    };
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
                    <button type="button" class="link-button clear-filters" on:click=clear>{t.clear_filters}</button>
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
        <div class="plan-lists" node_ref=lists>
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
    let mut what = vec![data.clone(), days.clone()];
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
        what.push(region.clone());
        // Each card's "Covers 3 countries" says which plan it opens.
        let named = format!("{count}{} {}", t.colon, what.join(", "));
        view! {
            <p class="plan-region">{region}</p>
            <details class="coverage">
                <summary aria-label=named>{count}</summary>
                <p class="coverage-list">{names.join(", ")}</p>
            </details>
        }
    });
    what.push(price.clone());
    let choose_name = fill(t.choose_plan, &[("plan", &what.join(", "))]);
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
                        <button type="button" class="button choose" aria-label=choose_name on:click=move |_| {
                            ctx.moved();
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
