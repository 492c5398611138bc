//! Buying a plan or a top-up: the order is reserved for the purchase intent first, then
//! the upstream checkout session is created (or found again) under an idempotency key
//! derived from the intent, so a double click or a retried request makes one order.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use simology::models::{CheckoutSessionRequest, Customer, LineItem};
use simology_proxy_api::{
    CheckoutRequest, CheckoutResponse, Instance, OrderPlan, Plan, TopupRequest,
};

use crate::affiliates::Attribution;
use crate::clock::{rfc3339_ms, unix_ms};
use crate::domain::{
    invalid, new_order_ref, Email, Field, IntentId, Invalid, Locale, OrderRef, Origin, PaymentUrl,
    Quantity, RefTag, ReturnUrl, Sku,
};
use crate::error::ApiError;
use crate::order::OrderKind;
use crate::state::AppState;
use crate::store::{FunnelKey, NewOrder, OrderRow};

/// Who buys, and where the payment page sends them back: what a checkout and a top-up
/// purchase share.
pub struct Buyer {
    /// For the upstream session, and held in memory for the order's top-ups
    /// (`EmailsOnFile`: a top-up's only once it is paid); never stored.
    pub email: Email,
    /// The traveller's language.
    pub locale: Locale,
    /// The widget's purchase intent.
    pub intent: IntentId,
    /// The page the widget sits on.
    pub return_url: ReturnUrl,
}

impl Buyer {
    /// Checks a request's buyer fields, in this order; the return URL must be on one
    /// of the `allowed` origins.
    ///
    /// # Errors
    /// The first field that is refused.
    pub fn parse(
        email: &str,
        locale: &str,
        intent_id: &str,
        return_url: &str,
        allowed: &[Origin],
    ) -> Result<Buyer, Invalid> {
        Ok(Buyer {
            email: Email::parse(email)?,
            locale: Locale::parse_or_default(locale),
            intent: IntentId::parse(intent_id)?,
            return_url: ReturnUrl::parse(return_url, allowed)?,
        })
    }
}

/// A purchase request: checkout and top-up requests both carry the buyer's fields.
pub trait BuyerFields {
    /// `[email, locale, intent_id, return_url]`, as sent.
    fn buyer_fields(&self) -> [&str; 4];
    /// The widget of the page the purchase was made in, as sent.
    fn instance(&self) -> Option<&str>;

    /// The return page, for that widget (the payment page's return names it).
    ///
    /// # Errors
    /// When the page is not on one of the `allowed` origins.
    fn return_page(&self, allowed: &[Origin]) -> Result<ReturnUrl, Invalid> {
        let [_, _, _, return_url] = self.buyer_fields();
        let instance = Instance::clean(self.instance().unwrap_or_default());
        Ok(ReturnUrl::parse(return_url, allowed)?.for_instance(&instance))
    }
}

impl BuyerFields for CheckoutRequest {
    fn buyer_fields(&self) -> [&str; 4] {
        [&self.email, &self.locale, &self.intent_id, &self.return_url]
    }

    fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }
}

impl BuyerFields for TopupRequest {
    fn buyer_fields(&self) -> [&str; 4] {
        [&self.email, &self.locale, &self.intent_id, &self.return_url]
    }

    fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }
}

impl Buyer {
    /// The buyer of a purchase request (see [`Buyer::parse`]).
    ///
    /// # Errors
    /// The first field that is refused.
    pub fn of(request: &impl BuyerFields, allowed: &[Origin]) -> Result<Buyer, Invalid> {
        let [email, locale, intent_id, return_url] = request.buyer_fields();
        let buyer = Buyer::parse(email, locale, intent_id, return_url, allowed)?;
        Ok(Buyer {
            return_url: request.return_page(allowed)?,
            ..buyer
        })
    }

    /// The buyer of a top-up request, whose email may be left out (absent or blank) when
    /// `on_file` has the order's; one given is checked as a checkout's is.
    ///
    /// # Errors
    /// The first field that is refused; the email (`invalid_email`) when none is given
    /// and none is on file, so that the widget asks for it.
    pub fn of_topup(
        request: &TopupRequest,
        allowed: &[Origin],
        on_file: impl FnOnce() -> Option<Email>,
    ) -> Result<Buyer, Invalid> {
        if !request.email.trim().is_empty() {
            return Buyer::of(request, allowed);
        }
        let email = on_file().ok_or(invalid(
            Field::Email,
            "must be given: none is on file for this order here",
        ))?;
        let [_, locale, intent_id, _] = request.buyer_fields();
        Ok(Buyer {
            email,
            locale: Locale::parse_or_default(locale),
            intent: IntentId::parse(intent_id)?,
            return_url: request.return_page(allowed)?,
        })
    }
}

/// The line a top-up adds data to.
pub struct TopupOf {
    /// The order that made the line.
    pub order_ref: OrderRef,
    /// The line.
    pub iccid: String,
}

/// What a purchase needs, validated.
pub struct Purchase {
    /// For a top-up, the line it is for; a new eSIM otherwise.
    pub topup_of: Option<TopupOf>,
    /// The plan, as the catalogue has it now.
    pub plan: Plan,
    /// How many.
    pub quantity: Quantity,
    /// Who, and where to.
    pub buyer: Buyer,
}

impl Purchase {
    fn kind(&self) -> OrderKind {
        match self.topup_of {
            None => OrderKind::Esim,
            Some(_) => OrderKind::Topup,
        }
    }

    /// A hash of every detail of the request: an intent reused with other details is
    /// refused rather than answered with another purchase's session.
    fn fingerprint(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.plan.sku,
            self.quantity.get(),
            self.buyer.email.expose().to_lowercase(),
            self.buyer.return_url.as_str(),
            self.topup_of
                .as_ref()
                .map_or(String::new(), |t| format!("{}/{}", t.order_ref, t.iccid))
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    fn order_plan(&self) -> OrderPlan {
        OrderPlan {
            sku: self.plan.sku.clone(),
            name: self.plan.name.clone(),
            coverage: self.plan.coverage.clone(),
            data_mb: self.plan.data_mb,
            validity_days: self.plan.validity_days,
            quantity: self.quantity.get(),
            price: self.plan.price,
            terms_url: self.plan.terms_url.clone(),
        }
    }
}

/// The catalogue's plan for a checkout of `quantity` eSIMs, each delivered as its own
/// line (never charged for more than can be delivered).
///
/// # Errors
/// `Invalid` (sku) when the catalogue has no such plan, `SkuUnavailable` when it is
/// sold out, `QuantityUnavailable` when this proxy cannot deliver that many lines of
/// it (see [`deliverable`]), and upstream errors when there is no catalogue.
pub async fn plan_for(state: &AppState, sku: &Sku, quantity: Quantity) -> Result<Plan, ApiError> {
    let snapshot = state.catalog_snapshot().await?;
    let plan = snapshot
        .plan(sku.as_str())
        .cloned()
        .ok_or(invalid(Field::Sku, "is not in the catalogue"))?;
    if !plan.available {
        return Err(ApiError::SkuUnavailable);
    }
    deliverable(
        quantity,
        state.settings.max_esims_per_order,
        snapshot.installs_by_lpa(&plan.sku),
    )?;
    Ok(plan)
}

/// Whether `quantity` eSIMs of a plan can be delivered as separate lines, each with its
/// own QR code: at most `max` per order (`PROXY_MAX_ESIMS_PER_ORDER`), and several only
/// of a plan installed by LPA string (the only lines the proxy can show one per
/// traveller).
///
/// # Errors
/// `QuantityUnavailable`, saying which rule.
pub fn deliverable(quantity: Quantity, max: u32, by_lpa: bool) -> Result<(), ApiError> {
    let n = quantity.get();
    if n > max {
        return Err(ApiError::QuantityUnavailable(format!(
            "at most {max} eSIMs can be bought in one order"
        )));
    }
    if n > 1 && !by_lpa {
        return Err(ApiError::QuantityUnavailable(
            "this plan is sold one eSIM per order".into(),
        ));
    }
    Ok(())
}

/// The top-up plans the catalogue offers for a line of an order, cheapest first (every
/// line of an order is of its one plan, so they are offered the same).
///
/// # Errors
/// Upstream errors when there is no catalogue.
pub async fn topup_offers(state: &AppState, order: &OrderRow) -> Result<Vec<Plan>, ApiError> {
    Ok(state.catalog_snapshot().await?.topups_for(&order.plan))
}

/// One of an order's top-up offers, by SKU.
///
/// # Errors
/// `Invalid` (sku) when it is not one of them, and upstream errors.
pub async fn topup_plan(state: &AppState, order: &OrderRow, sku: &Sku) -> Result<Plan, ApiError> {
    topup_offers(state, order)
        .await?
        .into_iter()
        .find(|p| p.sku == sku.as_str())
        .ok_or(invalid(Field::Sku, "is not a top-up for this eSIM").into())
}

/// Starts a purchase: reserves the order for the intent, then creates (or finds again)
/// the upstream session under the intent's idempotency key.
///
/// # Errors
/// `Conflict` for an intent reused with other details; upstream errors (a definite
/// refusal frees the intent, a transient failure keeps the reservation so that a retry
/// reuses the same reference and key); store errors.
pub async fn start(state: &AppState, p: Purchase) -> Result<CheckoutResponse, ApiError> {
    start_attributed(state, p, None).await
}

/// Starts a purchase as [`start`] does, made through an affiliate: the order remembers
/// the attribution (and its plan's destination), and the upstream session's metadata
/// carries it (`affiliate`, `placement`, `page_path`). An intent reused with another
/// attribution is another purchase (`Conflict`).
///
/// # Errors
/// As [`start`].
pub async fn start_attributed(
    state: &AppState,
    p: Purchase,
    attribution: Option<Attribution>,
) -> Result<CheckoutResponse, ApiError> {
    let kind = p.kind();
    let intent_key = p.buyer.intent.idempotency_key(kind.as_str());
    let fingerprint = match &attribution {
        None => p.fingerprint(),
        Some(a) => {
            let text = format!("{}\n{}", p.fingerprint(), a.fingerprint_text());
            hex::encode(Sha256::digest(text.as_bytes()))
        }
    };
    let row = state
        .store
        .reserve(&NewOrder {
            order_ref: new_order_ref(),
            kind,
            parent_ref: p.topup_of.as_ref().map(|t| t.order_ref.clone()),
            parent_iccid: p.topup_of.as_ref().map(|t| t.iccid.clone()),
            intent_key: intent_key.clone(),
            fingerprint: fingerprint.clone(),
            plan: p.order_plan(),
            locale: p.buyer.locale.clone(),
            return_url: p.buyer.return_url.clone(),
        })
        .await?;
    if row.fingerprint != fingerprint {
        return Err(ApiError::Conflict(
            "this purchase was already started with other details",
        ));
    }
    if let (Some(url), Some(expires)) = (&row.payment_url, row.session_expires_at) {
        hold_email(state, &p, &row.order_ref);
        return Ok(CheckoutResponse {
            order_ref: row.order_ref.clone(),
            payment_url: url.clone(),
            expires_at: rfc3339_ms(expires),
        });
    }
    let mut metadata = BTreeMap::from([
        ("order_ref".to_owned(), row.order_ref.to_string()),
        ("purpose".to_owned(), kind.as_str().to_owned()),
        ("locale".to_owned(), row.locale.as_str().to_owned()),
    ]);
    if let Some(t) = &p.topup_of {
        metadata.insert("topup_iccid".into(), t.iccid.clone());
    }
    if let Some(a) = &attribution {
        attribute(state, &row.order_ref, a, &p.plan, &mut metadata).await?;
    }
    // The reservation's return page: the same as this request's (the fingerprint
    // covers it), checked against the allow-list when the request came in.
    let request = CheckoutSessionRequest {
        customer: Customer {
            email: p.buyer.email.expose().to_owned(),
            country: None,
        },
        items: vec![LineItem {
            sku: p.plan.sku.clone(),
            quantity: p.quantity.get(),
        }],
        success_url: row.return_url.with_return(false),
        cancel_url: row.return_url.with_return(true),
        metadata,
    };
    match state
        .client
        .create_checkout_session(&request, Some(&intent_key))
        .await
    {
        Ok(session) => {
            // The widget sends the traveller's window there: never store or answer an
            // unsafe one (the reservation stays; a retry meets the same check).
            let payment_url = PaymentUrl::parse(&session.payment_url).map_err(|_| {
                state.metrics.upstream_error("unsafe_payment_url");
                ApiError::UpstreamAnswer("payment_url is neither https nor loopback http")
            })?;
            let expires = unix_ms(session.expires_at);
            hold_email(state, &p, &row.order_ref);
            state
                .store
                .attach_session(&row.order_ref, &session.id, payment_url.as_str(), expires)
                .await?;
            state.metrics.order_created();
            if let Some(a) = &attribution {
                state.metrics.affiliate_checkout(&a.affiliate);
            }
            tracing::info!(order_tag = %RefTag(&row.order_ref), session_id = %session.id, sku = %p.plan.sku,
                email = %p.buyer.email.redacted(), request_id = session.request_id.as_deref(), "checkout session created");
            Ok(CheckoutResponse {
                order_ref: row.order_ref,
                payment_url: payment_url.as_str().to_owned(),
                expires_at: rfc3339_ms(expires),
            })
        }
        Err(e) => {
            if !e.is_transient() {
                state.store.release(&row.order_ref).await?;
            }
            Err(state.upstream_error(e).into())
        }
    }
}

/// Holds the buyer's email for the order's top-ups: a checkout's as its new order's at
/// once, a top-up's only once that top-up (`order_ref`) is paid (see `EmailsOnFile`).
fn hold_email(state: &AppState, p: &Purchase, order_ref: &OrderRef) {
    match &p.topup_of {
        None => state.emails.remember(order_ref, &p.buyer.email),
        Some(t) => state
            .emails
            .remember_topup(order_ref, &t.order_ref, &p.buyer.email),
    }
}

/// Records who made the sale on the reserved order (before its session exists, so it
/// is there whatever happens next) and adds it to the session's metadata.
async fn attribute(
    state: &AppState,
    order_ref: &OrderRef,
    a: &Attribution,
    plan: &Plan,
    metadata: &mut BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let key = FunnelKey {
        affiliate: a.affiliate.clone(),
        placement: a.placement.clone(),
        page_path: a.page_path.clone(),
        destination: Some(plan.destination.clone()),
    };
    state
        .store
        .attribute(order_ref, &key, a.click_id.as_deref())
        .await?;
    metadata.insert("affiliate".into(), a.affiliate.clone());
    for (name, value) in [("placement", &a.placement), ("page_path", &a.page_path)] {
        if let Some(v) = value {
            metadata.insert(name.into(), v.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(quantity: u32, max: u32, by_lpa: bool) -> Option<String> {
        let q = Quantity::parse(quantity).expect("1 to 10");
        deliverable(q, max, by_lpa).err().map(|e| e.to_string())
    }

    #[test]
    fn several_lines_only_up_to_the_limit_and_only_by_lpa_string() {
        assert_eq!(refusal(1, 10, true), None);
        assert_eq!(refusal(10, 10, true), None);
        assert_eq!(refusal(5, 5, true), None);
        assert_eq!(
            refusal(6, 5, true).as_deref(),
            Some("at most 5 eSIMs can be bought in one order")
        );
        assert_eq!(refusal(1, 10, false), None, "one eSIM as before");
        assert_eq!(
            refusal(2, 10, false).as_deref(),
            Some("this plan is sold one eSIM per order")
        );
    }
}
