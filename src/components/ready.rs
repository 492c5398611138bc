//! The ready eSIM, for the device in hand: on a phone that installs by link, the
//! one-tap button leads; on an iPhone that cannot, the details to enter by hand; on
//! either, the QR code waits behind "Install on another device". On a computer the QR
//! code leads. With the QR code: save it (SVG), copy all the details, and share them
//! where the browser can. Then short instructions for this device, validity, usage and
//! top-ups (their own components): for the phone the checkout was told the eSIM is
//! for, when the frame remembers it (another phone than this one: the QR code leads),
//! with a phone's inability to scan its own screen said. An order of several eSIMs shows one such view per
//! traveller, each in a card of its own ("Traveller 1", "Traveller 2"...) that opens
//! and closes, the first open, each shared with its traveller alone.

use leptos::prelude::*;
use simology_proxy_api::{Esim, OrderDetail, OrderRef};
use simology_widget_core::compat::{ready_words, Phone};
use simology_widget_core::i18n::{fill, Strings};
use simology_widget_core::install::{
    android_link, details, ios_link, platform, safe_href, Lead, Platform,
};
use simology_widget_core::qr;
use simology_widget_core::status::travellers;

use crate::browser;
use crate::components::topups::Topups;
use crate::components::usage::Usage;
use crate::context::{ctx, Screen};

/// A control's name in an order of several eSIMs: whose it is ("Copy activation code,
/// traveller 2"); the name alone for an order of one.
pub fn of_traveller(t: &Strings, name: &str, traveller: Option<u32>) -> String {
    match traveller {
        Some(n) => fill(t.of_traveller, &[("what", name), ("n", &n.to_string())]),
        None => name.to_owned(),
    }
}

/// A button that copies some text and says whether it has, through the widget's status
/// region ("Activation code copied", "Couldn't copy"), and to the eye by a tick. Its
/// text and name stay: a name that changed to "Copied" would no longer say what it
/// copies, nor hold its visible text.
#[component]
fn CopyButton(
    /// The button's text.
    label: &'static str,
    /// Its accessible name: what it copies, and whose.
    name: String,
    /// What the status region says once copied.
    done: &'static str,
    /// What it copies.
    text: String,
    /// Its class.
    class: &'static str,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let copied = RwSignal::new(false);
    let text = StoredValue::new(text);
    let copy = move |_| {
        let text = text.get_value();
        leptos::task::spawn_local(async move {
            let done_now = browser::copy(&text).await;
            copied.try_set(done_now);
            ctx.say(if done_now { done } else { t.copy_failed });
        });
    };
    view! {
        <button type="button" class=class class:copied=copied aria-label=name on:click=copy>
            {label}
        </button>
    }
}

/// A value with a copy button.
#[component]
fn Copyable(
    /// What the value is.
    label: &'static str,
    /// The value, shown and copied.
    value: String,
    /// The copy button's name ("Copy activation code").
    name: String,
    /// What the status region says once copied.
    done: &'static str,
) -> impl IntoView {
    let t = ctx().t;
    view! {
        <div class="copyable">
            <span class="copy-label">{label}</span>
            <code class="copy-value">{value.clone()}</code>
            <CopyButton label=t.copy name=name done=done text=value class="button small" />
        </div>
    }
}

/// The QR code with what goes with it: a caption for this device, "Save QR code", and,
/// for an order's one eSIM, "Copy all details" and "Share" where the browser can (a
/// traveller's card has its own, see [`ShareTraveller`]).
#[component]
fn QrBlock(
    /// The eSIM.
    esim: Esim,
    /// The caption: scan with your phone, or with the other device.
    caption: &'static str,
    /// The traveller whose eSIM it is, in an order of several.
    traveller: Option<u32>,
) -> impl IntoView {
    let t = ctx().t;
    let svg = qr::svg(&esim.lpa).unwrap_or_default();
    let href = browser::svg_data_url(&svg);
    let file = traveller.map_or_else(
        || "esim-qr-code.svg".to_owned(),
        |n| format!("esim-qr-code-{n}.svg"),
    );
    let text = StoredValue::new(details(&esim, t));
    let share = (traveller.is_none() && browser::can_share()).then(|| {
        let send = move |_| {
            let text = text.get_value();
            leptos::task::spawn_local(async move {
                browser::share(t.checkout_title, &text).await;
            });
        };
        view! { <button type="button" class="button secondary share" on:click=send>{t.share}</button> }
    });
    let copy = traveller.is_none().then(|| {
        view! { <CopyButton label=t.copy_all name=t.copy_all.to_owned() done=t.details_copied text=text.get_value() class="button secondary copy-all" /> }
    });
    view! {
        <figure class="qr-figure">
            <div class="qr" role="img" aria-label=t.qr_label inner_html=svg></div>
            <figcaption>{caption}</figcaption>
        </figure>
        <div class="actions">
            <a class="button secondary save-qr" href=href download=file aria-label=of_traveller(t, t.save_qr, traveller)>{t.save_qr}</a>
            {copy}
            {share}
        </div>
    }
}

/// Sends one traveller's eSIM (its details only) to that traveller: the share sheet
/// where the browser has one, else a copy.
#[component]
fn ShareTraveller(
    /// The traveller's eSIM.
    esim: Esim,
    /// "Traveller 2": the shared text's title.
    title: String,
    /// Its number.
    traveller: u32,
) -> impl IntoView {
    let t = ctx().t;
    let text = details(&esim, t);
    if browser::can_share() {
        let text = StoredValue::new(text);
        let title = StoredValue::new(title);
        let send = move |_| {
            let (title, text) = (title.get_value(), text.get_value());
            leptos::task::spawn_local(async move {
                browser::share(&title, &text).await;
            });
        };
        view! {
            <div class="actions">
                <button type="button" class="button secondary share" aria-label=of_traveller(t, t.share_traveller, Some(traveller)) on:click=send>{t.share_traveller}</button>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="actions">
                <CopyButton label=t.copy_traveller name=of_traveller(t, t.copy_traveller, Some(traveller)) done=t.details_copied text=text class="button secondary copy-all" />
            </div>
        }
        .into_any()
    }
}

/// The ready view of an order: its one eSIM, a card per traveller when it has several,
/// or (for a top-up) a way back to the order it topped up.
#[component]
pub fn Ready(
    /// The order, in the ready state, with its lines.
    order: OrderDetail,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    if let Some(parent) = order.order.topup_of.clone() {
        return view! {
            <div class="ready topup-ready">
                <button type="button" class="button" on:click=move |_| {
                    ctx.moved();
                    ctx.screen.set(Screen::Order(parent.clone()));
                }>
                    {t.usage_title}
                </button>
            </div>
        }
        .into_any();
    }
    let order_ref = order.order.order_ref.clone();
    let terms_url = order.order.plan.terms_url.clone();
    if let Some(cards) = travellers(&order) {
        return view! {
            <div class="travellers">
                {cards.into_iter().map(|card| {
                    let title = fill(t.traveller, &[("n", &card.number.to_string())]);
                    let body = match card.esim {
                        Some(esim) => view! {
                            <ShareTraveller esim=esim.clone() title=title.clone() traveller=card.number />
                            <EsimView
                                esim=esim.clone()
                                order_ref=order_ref.clone()
                                terms_url=terms_url.clone()
                                line=card.iccid.to_owned()
                                traveller=card.number
                                email_on_file=order.order.email_on_file
                            />
                        }
                        .into_any(),
                        None => view! { <p class="line-refunded">{t.line_refunded}</p> }.into_any(),
                    };
                    // WAI-ARIA's disclosure: a button inside the heading, so the heading
                    // stays a heading and the button says whether it is open.
                    let open = RwSignal::new(card.open);
                    let body_id = ctx.id(&format!("traveller-{}", card.number));
                    view! {
                        <div class="traveller" class:open=open data-iccid=card.iccid.to_owned()>
                            <h3 class="traveller-title">
                                <button type="button" class="traveller-summary" aria-controls=body_id.clone()
                                    aria-expanded=move || open.get().to_string()
                                    on:click=move |_| open.update(|o| *o = !*o)>{title}</button>
                            </h3>
                            <div class="traveller-body" id=body_id hidden=move || !open.get()>{body}</div>
                        </div>
                    }
                }).collect_view()}
            </div>
        }
        .into_any();
    }
    let Some(esim) = order.order.esim.clone() else {
        return ().into_any();
    };
    view! { <EsimView esim=esim order_ref=order_ref terms_url=terms_url email_on_file=order.order.email_on_file /> }.into_any()
}

/// One eSIM, for the device in hand (see the module's header).
#[component]
fn EsimView(
    /// The eSIM.
    esim: Esim,
    /// Its order.
    order_ref: OrderRef,
    /// The plan's details page.
    terms_url: String,
    /// Its line, in an order of several (for its own usage and top-ups).
    #[prop(optional, into)]
    line: Option<String>,
    /// Its traveller, in an order of several.
    #[prop(optional, into)]
    traveller: Option<u32>,
    /// Whether the proxy holds the order's email (top-ups may omit it).
    #[prop(optional)]
    email_on_file: bool,
) -> impl IntoView {
    let ctx = ctx();
    let t = ctx.t;
    let lang = ctx.lang;
    let platform = platform(&browser::user_agent());
    // The phone the checkout was told the eSIM is for (on a computer, or another
    // phone than this one), where the frame could remember it across the payment page.
    let chosen = browser::remembered_phone(&ctx.instance.get_value());
    let for_other = chosen.is_some() && platform != Platform::Other;
    let lead = if for_other { Lead::Qr } else { platform.lead() };
    let install = match platform {
        _ if for_other => None,
        Platform::ModernIos => Some((t.install_iphone, ios_link(&esim.lpa))),
        Platform::Android => Some((t.install_android, android_link(&esim.lpa))),
        Platform::OldIos | Platform::Other => None,
    };
    let validity = match (
        browser::date(&esim.valid_from, lang),
        browser::date(&esim.valid_until, lang),
    ) {
        (Some(from), Some(until)) => Some(t.valid_between(&from, &until)),
        _ => None,
    };
    let manual = view! {
        {match lead {
            Lead::Manual => view! { <p class="manual-lead">{t.how_iphone_manual}</p> }.into_any(),
            _ => view! { <h3 class="section-title">{t.manual_title}</h3> }.into_any(),
        }}
        <Copyable label=t.smdp_label value=esim.smdp_address.clone() name=of_traveller(t, t.copy_smdp, traveller) done=t.smdp_copied />
        <Copyable label=t.code_label value=esim.activation_code.clone() name=of_traveller(t, t.copy_code, traveller) done=t.code_copied />
    };
    let view = match lead {
        Lead::Qr => view! {
            <QrBlock esim=esim.clone() caption=t.ready_scan traveller=traveller />
            {manual}
        }
        .into_any(),
        Lead::OneTap | Lead::Manual => view! {
            // The installer's link opens in the top window: a frame may not navigate
            // itself away from the proxy (the host page's `frame-src` refuses it, and a
            // phone hands a universal link to its installer only from the top).
            {install.map(|(label, href)| view! { <a class="button install" href=href target="_top" aria-label=of_traveller(t, label, traveller)>{label}</a> })}
            {manual}
            <details class="other-device">
                <summary aria-label=of_traveller(t, t.other_device, traveller)>{t.other_device}</summary>
                <QrBlock esim=esim.clone() caption=t.scan_other traveller=traveller />
            </details>
        }
        .into_any(),
    };
    // The way for the phone it is for: the one chosen at the checkout, else this
    // phone's; on a computer with no choice remembered, both.
    let (iphone, android) = match chosen {
        Some(Phone::Iphone) => (true, false),
        Some(Phone::Android) => (false, true),
        None => (
            platform != Platform::Android,
            matches!(platform, Platform::Android | Platform::Other),
        ),
    };
    view! {
        <div class="ready">
            {view}
            <h3 class="section-title">{t.how_title}</h3>
            <ul class="instructions">
                {iphone.then(|| view! { <li>{t.how_iphone}</li> })}
                {android.then(|| view! { <li>{t.how_android}</li> <li>{t.how_samsung}</li> })}
                <li>{t.keep_primary}</li>
                <li class="own-screen">{ready_words(lang).own_screen}</li>
                <li>{t.install_before}</li>
            </ul>
            {validity.map(|v| view! { <p class="validity">{v}</p> })}
            {safe_href(&terms_url).map(|href| view! {
                <p><a href=href.to_owned() target="_blank" rel="noopener noreferrer" aria-label=of_traveller(t, t.plan_details, traveller)>{t.plan_details}</a></p>
            })}
            <Usage order_ref=order_ref.clone() line=line.clone() />
            <Topups order_ref=order_ref line=line traveller=traveller email_on_file=email_on_file />
        </div>
    }
}
