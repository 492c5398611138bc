//! A destination's plans as cards: country plans and regional bundles apart, each with
//! its data, validity, price, coverage, and a button to choose it.

use leptos::prelude::*;
use simology_proxy_api::{CatalogResponse, DestinationKind, Plan};
use simology_widget_core::format;
use simology_widget_core::i18n::fill;
use simology_widget_core::plans::{grouped, SortBy};

use crate::context::ctx;

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

/// A destination's plans: its own (for a country) and the regional bundles that cover
/// it, apart, each sorted.
#[component]
pub fn PlanLists(
    /// The destination's catalogue.
    response: CatalogResponse,
    /// The order of the plans.
    sort: SortBy,
    /// Set to the plan the traveller chooses.
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

/// One plan, with a button to choose it (or a sold-out badge).
#[component]
fn PlanCard(
    /// The plan.
    plan: Plan,
    /// Set to the plan when it is chosen.
    chosen: RwSignal<Option<Plan>>,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let data = format::data(plan.data_mb, lang);
    let days = t.days(plan.validity_days);
    let price = format::price(&plan.price, lang);
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
