//! Buying a plan or a top-up: the order is reserved for the purchase intent first, then
//! the upstream checkout session is created (or found again) under an idempotency key
//! derived from the intent, so a double click or a retried request makes one order.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use simology::models::{CheckoutSessionRequest, Customer, LineItem};
use simology_proxy_api::{
    CheckoutRequest, CheckoutResponse, OrderPlan, PaymentReturn, Plan, TopupRequest,
};

use crate::clock::{rfc3339_ms, unix_ms};
use crate::domain::{
    invalid, new_order_ref, Email, Field, IntentId, Invalid, Locale, OrderRef, Origin, PaymentUrl,
    Quantity, RefTag, ReturnUrl, Sku,
};
use crate::error::ApiError;
use crate::order::OrderKind;
use crate::state::AppState;
use crate::store::{NewOrder, OrderRow};

/// Who buys, and where the payment page sends them back: what a checkout and a top-up
/// purchase share.
pub struct Buyer {
    /// For the upstream session only; never stored.
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
}

impl BuyerFields for CheckoutRequest {
    fn buyer_fields(&self) -> [&str; 4] {
        [&self.email, &self.locale, &self.intent_id, &self.return_url]
    }
}

impl BuyerFields for TopupRequest {
    fn buyer_fields(&self) -> [&str; 4] {
        [&self.email, &self.locale, &self.intent_id, &self.return_url]
    }
}

impl Buyer {
    /// The buyer of a purchase request (see [`Buyer::parse`]).
    ///
    /// # Errors
    /// The first field that is refused.
    pub fn of(request: &impl BuyerFields, allowed: &[Origin]) -> Result<Buyer, Invalid> {
        let [email, locale, intent_id, return_url] = request.buyer_fields();
        Buyer::parse(email, locale, intent_id, return_url, allowed)
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
            self.topup_of.as_ref().map_or("", |t| t.order_ref.as_str())
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

/// The catalogue's plan for a checkout.
///
/// # Errors
/// `Invalid` (sku) when the catalogue has no such plan, `SkuUnavailable` when it is
/// sold out, and upstream errors when there is no catalogue.
pub async fn plan_for(state: &AppState, sku: &Sku) -> Result<Plan, ApiError> {
    let snapshot = state.catalog_snapshot().await?;
    let plan = snapshot
        .plan(sku.as_str())
        .cloned()
        .ok_or(invalid(Field::Sku, "is not in the catalogue"))?;
    if !plan.available {
        return Err(ApiError::SkuUnavailable);
    }
    Ok(plan)
}

/// The top-up plans the catalogue offers for an order's line, cheapest first.
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
    let kind = p.kind();
    let intent_key = p.buyer.intent.idempotency_key(kind.as_str());
    let fingerprint = p.fingerprint();
    let row = state
        .store
        .reserve(&NewOrder {
            order_ref: new_order_ref(),
            kind,
            parent_ref: p.topup_of.as_ref().map(|t| t.order_ref.clone()),
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
        success_url: row
            .return_url
            .with_fragment(&PaymentReturn::Paid(row.order_ref.clone())),
        cancel_url: row
            .return_url
            .with_fragment(&PaymentReturn::Cancelled(row.order_ref.clone())),
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
            state
                .store
                .attach_session(&row.order_ref, &session.id, payment_url.as_str(), expires)
                .await?;
            state.metrics.order_created();
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
