//! The destination search: a combobox over countries and regions, typed in any of the
//! widget's languages, accents optional, driven by the keyboard or the pointer.

use leptos::prelude::*;
use simology_proxy_api::{DestinationId, DestinationKind, DestinationsResponse};
use simology_widget_core::format;
use simology_widget_core::i18n::{fill, Lang};
use simology_widget_core::search::{search, Entry};

use crate::browser;
use crate::context::{ctx, Ctx};
use crate::load::{load, load_into};

/// The most options the list shows at once.
const MAX_OPTIONS: usize = 8;

fn entries(ctx: Ctx, response: &DestinationsResponse) -> Vec<Entry> {
    response
        .destinations
        .iter()
        .filter(|d| d.plan_count > 0)
        .map(|d| {
            let display = ctx.destination_name(d.kind, &d.code, &d.name);
            let others: Vec<String> = Lang::ALL
                .iter()
                .filter_map(|l| match d.kind {
                    DestinationKind::Country => ctx.country_name(*l, &d.code),
                    DestinationKind::Region => l.strings().region(&d.code).map(str::to_owned),
                })
                .collect();
            Entry::new(d.clone(), display, &others, &browser::fold)
        })
        .collect()
}

/// The search box. `on_select` gets the chosen destination.
#[component]
pub fn DestinationSearch(
    /// Called with the chosen destination.
    on_select: Callback<DestinationId>,
    /// Take the focus when shown (after the traveller asked to change destination, never
    /// on page load).
    autofocus: bool,
) -> impl IntoView {
    let ctx = ctx();
    let input_ref: NodeRef<leptos::html::Input> = NodeRef::new();
    if autofocus {
        input_ref.on_load(|input| {
            let _ = input.focus();
        });
    }
    let t = ctx.t;
    let destinations = load(ctx.backend().destinations());
    let all = Memo::new(move |_| match destinations.get() {
        Some(Ok(response)) => entries(ctx, &response),
        _ => Vec::new(),
    });
    let query = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    let open = RwSignal::new(false);
    let matches = Memo::new(move |_| {
        let q = query.get();
        all.with(|entries| {
            search(entries, &q, &browser::fold)
                .into_iter()
                .take(MAX_OPTIONS)
                .cloned()
                .collect::<Vec<Entry>>()
        })
    });
    let list_id = ctx.id("destinations");
    let option_id = move |i: usize| ctx.id(&format!("destination-{i}"));
    let choose = move |entry: &Entry| {
        query.set(entry.display.clone());
        open.set(false);
        on_select.run(DestinationId {
            kind: entry.destination.kind,
            code: entry.destination.code.clone(),
        });
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let n = matches.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                open.set(true);
                if n > 0 {
                    active.update(|a| *a = (*a + 1) % n);
                }
            }
            "ArrowUp" => {
                ev.prevent_default();
                if n > 0 {
                    active.update(|a| *a = (*a + n - 1) % n);
                }
            }
            "Enter" => {
                let picked = matches.with(|m| m.get(active.get_untracked()).cloned());
                if let Some(entry) = picked {
                    ev.prevent_default();
                    choose(&entry);
                }
            }
            "Escape" => {
                open.set(false);
            }
            _ => {}
        }
    };
    let expanded = move || open.get() && !query.get().trim().is_empty();
    let status = move || {
        if query.get().trim().is_empty() {
            return String::new();
        }
        match matches.with(Vec::len) {
            0 => fill(t.search_no_match, &[("q", query.get().trim())]),
            n => t.search_results.n(n as u64),
        }
    };
    let load_error = move || match destinations.get() {
        Some(Err(e)) => Some(e.message(t)),
        _ => None,
    };
    let input_id = ctx.id("search");
    view! {
        <div class="search">
            // The screen's heading is the question the field answers.
            <h2 class="search-title"><label class="search-label" for=input_id.clone()>{t.search_label}</label></h2>
            <input
                node_ref=input_ref
                id=input_id
                class="search-input"
                type="text"
                role="combobox"
                autocomplete="off"
                spellcheck="false"
                aria-autocomplete="list"
                aria-controls=list_id.clone()
                aria-expanded=move || if expanded() { "true" } else { "false" }
                aria-activedescendant=move || (expanded() && matches.with(|m| !m.is_empty())).then(|| option_id(active.get()))
                placeholder=t.search_placeholder
                prop:value=move || query.get()
                on:input=move |ev| {
                    query.set(event_target_value(&ev));
                    active.set(0);
                    open.set(true);
                }
                on:focus=move |_| open.set(true)
                on:keydown=on_key
            />
            <ul id=list_id class="search-options" role="listbox" hidden=move || !expanded()>
                {move || matches.get().into_iter().enumerate().map(|(i, entry)| {
                    let selected = move || active.get() == i;
                    let entry_for_click = entry.clone();
                    let kind = match entry.destination.kind {
                        DestinationKind::Country => t.kind_country,
                        DestinationKind::Region => t.kind_region,
                    };
                    let from = entry
                        .destination
                        .lowest_price
                        .map(|p| fill(t.from_price, &[("price", &format::price(&p, ctx.lang))]))
                        .unwrap_or_default();
                    view! {
                        <li
                            id=option_id(i)
                            role="option"
                            class="search-option"
                            class:active=selected
                            aria-selected=move || if selected() { "true" } else { "false" }
                            data-code=entry.destination.code.clone()
                            on:mousedown=move |ev| ev.prevent_default()
                            on:click=move |_| choose(&entry_for_click)
                        >
                            <span class="option-name">{entry.display.clone()}</span>
                            <span class="option-meta">{kind} " · " {from}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="sr-only" role="status" aria-live="polite">{status}</p>
            {move || load_error().map(|message| view! {
                <p class="error" role="alert">{message}</p>
                <button type="button" class="link-button retry" on:click=move |_| {
                    // The button goes with the error: the focus waits in the field.
                    if let Some(input) = input_ref.get_untracked() {
                        let _ = input.focus();
                    }
                    load_into(destinations, ctx.backend().destinations());
                }>{t.retry}</button>
            })}
        </div>
    }
}
