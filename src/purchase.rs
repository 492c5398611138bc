//! One purchase, as the checkout and the top-ups both make it: check the email (offered
//! again from the last purchase in this widget, held in memory only), one request at a
//! time, one intent id per purchase (so a double click or a retry after a lost answer
//! makes one order), remember the order in the frame, send the top window to the
//! payment page (or, where the browser will not let the frame do it, offer the
//! traveller a link to it), and translate what went wrong.

use leptos::prelude::*;
use simology_proxy_api::{
    is_valid_email, CheckoutRequest, CheckoutResponse, DestinationId, ErrorCode, Plan,
};
#[cfg(feature = "status")]
use simology_proxy_api::{OrderRef, TopupRequest};
use simology_widget_core::saved::SavedOrder;

use crate::backend::Failure;
use crate::browser;
use crate::context::Ctx;
#[cfg(feature = "picker")]
use crate::context::Screen;
use crate::frame::{HostEvent, Sale};

/// Whether the window may be sent to `url` as a payment page: `https:`, or plain
/// `http:` to a loopback address (a local sandbox); never `javascript:`, `data:` or
/// another site over plain http.
fn is_safe_payment_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("https") {
        return !rest.is_empty();
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return false;
    }
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|h| format!("[{h}]")),
        None => authority.split(':').next().map(str::to_owned),
    }
    .unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What is bought.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A plan, chosen for a destination.
    Plan {
        /// The plan.
        plan: Plan,
        /// The destination it was chosen for (the picker reopens on it after a cancel).
        destination: DestinationId,
        /// How many eSIMs, one per traveller.
        quantity: u32,
    },
    /// More data for an order whose eSIM is ready (the status module's).
    #[cfg(feature = "status")]
    Topup {
        /// The top-up offer.
        plan: Plan,
        /// The order it tops up.
        of: OrderRef,
        /// The line it tops up, in an order of several (none: the order's one eSIM).
        line: Option<String>,
    },
}

/// A purchase form's state and the flow that sends it. Copyable handles only, so a
/// view's closures share it.
#[derive(Clone, Copy)]
pub struct Purchase {
    ctx: Ctx,
    /// The email typed.
    pub email: RwSignal<String>,
    /// Whether the email is flagged as not an address (locally or by the proxy).
    pub email_invalid: RwSignal<bool>,
    /// Whether the proxy holds the email for what this buys (a top-up of an order whose
    /// view says `email_on_file`): the form may then send none. Turns false when the
    /// proxy asks for it after all.
    pub email_on_file: RwSignal<bool>,
    /// The last failure, translated.
    pub error: RwSignal<Option<&'static str>>,
    /// What the traveller must confirm before buying, said when Pay is pressed
    /// without it (the checkout's "My phone supports eSIM and is unlocked"); none:
    /// nothing to confirm.
    pub unconfirmed: RwSignal<Option<&'static str>>,
    /// The box that confirms it: Pay pressed before moves the focus there.
    pub confirm_box: NodeRef<leptos::html::Input>,
    /// Pay was pressed before it was confirmed (the box is flagged until it is).
    pub refused: RwSignal<bool>,
    /// A request is under way.
    pub busy: RwSignal<bool>,
    /// The proxy answered; the payment page is loading.
    pub redirecting: RwSignal<bool>,
    /// The payment page, when the browser would not let the frame send the window
    /// there itself: the traveller follows it with a tap.
    pub payment_link: RwSignal<Option<String>>,
    /// The purchase's intent id: kept across retries, renewed when the proxy says the
    /// details changed under it.
    intent: StoredValue<String>,
    /// The host page was told this purchase started (once per intent).
    announced: StoredValue<bool>,
}

impl Purchase {
    /// A new purchase, with a fresh intent id and the email of the last purchase made in
    /// this widget, if any.
    pub fn new(ctx: Ctx) -> Self {
        Purchase {
            ctx,
            email: RwSignal::new(ctx.email.get_untracked()),
            email_invalid: RwSignal::new(false),
            email_on_file: RwSignal::new(false),
            error: RwSignal::new(None),
            unconfirmed: RwSignal::new(None),
            confirm_box: NodeRef::new(),
            refused: RwSignal::new(false),
            busy: RwSignal::new(false),
            redirecting: RwSignal::new(false),
            payment_link: RwSignal::new(None),
            intent: StoredValue::new(browser::new_intent_id()),
            announced: StoredValue::new(false),
        }
    }

    /// Whether buying is off for now (a request under way, or the payment page loading):
    /// the one place that says so. The buttons show it as `aria-disabled` (a `disabled`
    /// button drops the focus), and [`Purchase::buy`] refuses while it holds, so another
    /// reason to hold the purchase belongs here.
    pub fn blocked(self) -> bool {
        self.busy.get() || self.redirecting.get()
    }

    /// Whether Pay does not buy now: [`Purchase::blocked`], or something is still to
    /// be confirmed ([`Purchase::unconfirmed`]; then Pay says so when pressed). The
    /// checkout's Pay shows it as `aria-disabled`.
    pub fn held(self) -> bool {
        self.blocked() || self.unconfirmed.with(Option::is_some)
    }

    /// Takes what was typed; a flagged email stops being flagged once it is an address,
    /// and an address is offered again to the widget's next purchase form.
    pub fn edit_email(self, value: String) {
        let valid = is_valid_email(&value);
        if valid {
            self.ctx.email.set(value.trim().to_owned());
        }
        self.email.set(value);
        if valid && self.email_invalid.get_untracked() {
            self.email_invalid.set(false);
        }
    }

    /// Flags a typed email that is not an address (when the field loses the focus);
    /// an empty field is not flagged yet.
    pub fn check_email(self) {
        // The field also loses the focus when it is taken off the page (going back to
        // the plans), after its form's state is gone.
        let Some(typed) = self.email.try_get_untracked() else {
            return;
        };
        if !typed.trim().is_empty() {
            self.email_invalid.try_set(!is_valid_email(&typed));
        }
    }

    /// Buys `item`: does nothing while a request is under way or the payment page
    /// loads; flags an email that is not an address, and says what is still to be
    /// confirmed ([`Purchase::unconfirmed`]: in the widget's status region, the focus
    /// moved to its box); else sends the request, then remembers the order and goes
    /// to the payment page, or shows the failure.
    pub fn buy(self, item: Item) {
        if untrack(|| self.blocked()) {
            return;
        }
        let email = self.email.get_untracked().trim().to_owned();
        // None typed, and the proxy has the order's: the request goes without one.
        let on_file = email.is_empty() && self.email_on_file.get_untracked();
        let email_ok = on_file || is_valid_email(&email);
        if !email_ok {
            self.email_invalid.set(true);
        }
        // Both said at once: the traveller fixes both before trying again.
        if let Some(reason) = self.unconfirmed.get_untracked() {
            self.refused.set(true);
            self.ctx.say(reason);
            if let Some(confirm) = self.confirm_box.get_untracked() {
                let _ = confirm.focus();
            }
            return;
        }
        if !email_ok {
            return;
        }
        self.email_invalid.set(false);
        self.error.set(None);
        self.busy.set(true);
        let ctx = self.ctx;
        ctx.say(ctx.t.redirecting);
        let backend = ctx.backend();
        let locale = ctx.lang.tag().to_owned();
        let intent_id = self.intent.get_value();
        let return_url = ctx.return_url();
        let instance = Some(ctx.instance.get_value());
        self.payment_link.set(None);
        let (answer, plan, destination, quantity) = match item {
            Item::Plan {
                plan,
                destination,
                quantity,
            } => {
                let mut request = CheckoutRequest {
                    sku: plan.sku.clone(),
                    quantity,
                    email,
                    locale,
                    intent_id,
                    return_url,
                    instance,
                    attribution: None,
                    page_path: None,
                    click_id: None,
                };
                if let Some(attribution) = ctx.attribution() {
                    attribution.apply(&mut request);
                    ctx.report_checkout(&request.intent_id, &plan.destination);
                }
                if !self.announced.get_value() {
                    self.announced.set_value(true);
                    if let Some(sale) = Sale::of_plan(&plan, quantity) {
                        ctx.announce(HostEvent::CheckoutStarted(sale));
                    }
                }
                (backend.checkout(request), plan, destination, quantity)
            }
            #[cfg(feature = "status")]
            Item::Topup { plan, of, line } => {
                let request = TopupRequest {
                    sku: plan.sku.clone(),
                    email,
                    locale,
                    intent_id,
                    return_url,
                    instance,
                };
                let destination = DestinationId {
                    kind: plan.kind,
                    code: plan.destination.clone(),
                };
                (
                    backend.buy_topup(&of, line.as_deref(), request),
                    plan,
                    destination,
                    1,
                )
            }
        };
        leptos::task::spawn_local(async move {
            let answer = answer.await;
            self.answered(answer, &plan, destination, quantity);
        });
    }

    fn answered(
        self,
        answer: Result<CheckoutResponse, Failure>,
        plan: &Plan,
        destination: DestinationId,
        quantity: u32,
    ) {
        match answer {
            // The whole window goes there: the proxy checks the URL, and so does the
            // widget, in case the proxy is an older or a compromised one.
            Ok(response) if !is_safe_payment_url(&response.payment_url) => {
                self.busy.set(false);
                self.error.set(Some(self.ctx.t.err_payment_page));
            }
            Ok(response) => {
                let order_ref = response.order_ref.clone();
                browser::save_order(SavedOrder {
                    order_ref: response.order_ref,
                    instance: self.ctx.instance.get_value(),
                    sku: plan.sku.clone(),
                    destination,
                    name: plan.name.clone(),
                    quantity,
                    started_ms: browser::now_ms(),
                    done: false,
                });
                self.busy.set(false);
                // A frame that cannot remember the order across the payment page (no
                // storage, no partitioned cookie) keeps it in memory: the payment
                // opens in a tab of its own and the frame follows the order here.
                #[cfg(feature = "picker")]
                if !browser::can_remember() && browser::open_tab(&response.payment_url) {
                    self.ctx.screen.set(Screen::Order(order_ref));
                    return;
                }
                let _ = order_ref;
                if self.ctx.navigate(&response.payment_url) {
                    self.redirecting.set(true);
                } else {
                    self.payment_link.set(Some(response.payment_url));
                }
            }
            Err(failure) => {
                self.busy.set(false);
                match failure {
                    Failure::Api {
                        code: ErrorCode::InvalidEmail,
                        ..
                    } => {
                        // Not offered again either.
                        self.ctx.email.set(String::new());
                        self.email_invalid.set(true);
                        // The proxy holds none after all (restarted, or another
                        // replica): the form asks for it, and the field says why.
                        if self.email_on_file.get_untracked() {
                            self.email_on_file.set(false);
                            return;
                        }
                    }
                    // The details changed under the same intent: the next try is a new
                    // purchase. Any other failure keeps the intent, so a retry after a
                    // lost answer finds the order the first try made.
                    Failure::Api {
                        code: ErrorCode::Conflict,
                        ..
                    } => {
                        self.intent.set_value(browser::new_intent_id());
                        self.announced.set_value(false);
                    }
                    _ => {}
                }
                self.ctx.announce(HostEvent::Error {
                    code: failure.code_name(),
                });
                self.error.set(Some(failure.message(self.ctx.t)));
            }
        }
    }
}
