//! Attribution: the affiliate a widget sells for (the element's `affiliate` attribute),
//! where it sits (`placement`) and on which page (the host page's path, never its query
//! or fragment). Checkouts carry it, and the funnel's beacons (destination chosen, plan
//! chosen, checkout started) report it to the proxy; the loader sends the fourth,
//! `shown`, itself, with the same rules (`loader/simology-esim.js`).
//!
//! The rules are the proxy's (`simology_proxy_api::normalise_placement` and friends),
//! applied before sending: an attribute that breaks them is left out with a console
//! warning, so a typo costs the affiliate its credit, never the traveller the shop.
//! Nothing here names the reader: a beacon is the affiliate, the placement, the page's
//! path, a destination and the event.

use simology_proxy_api::{
    is_valid_affiliate_id, normalise_page_path, normalise_placement, Beacon, CheckoutRequest,
    FunnelEvent,
};

/// An attribute's text: absent, empty and blank are all none.
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// Who a widget sells for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The affiliate's id.
    pub affiliate: String,
    /// The placement, normalised.
    pub placement: Option<String>,
    /// The page's path, normalised.
    pub page_path: Option<String>,
}

impl Attribution {
    /// The attribution of an element's `affiliate` and `placement` attributes on a page
    /// whose path is `path` (`location.pathname`). `None` without a well-formed
    /// affiliate. What is left out, and why, goes to `warn`.
    pub fn from_attributes(
        affiliate: Option<&str>,
        placement: Option<&str>,
        path: &str,
        warn: &mut dyn FnMut(String),
    ) -> Option<Attribution> {
        let placement_given = given(placement);
        let Some(id) = given(affiliate) else {
            if placement_given.is_some() {
                warn("simology-esim: a placement without an affiliate is ignored".into());
            }
            return None;
        };
        if !is_valid_affiliate_id(id) {
            warn(format!(
                "simology-esim: affiliate \"{id}\" is ignored: an affiliate id is 1 to 40 of a-z, 0-9 and -"
            ));
            return None;
        }
        let placement = placement_given.and_then(|p| {
            let normalised = normalise_placement(p);
            if normalised.is_none() {
                warn(format!(
                    "simology-esim: placement \"{p}\" is ignored: a placement is 1 to 64 of a-z, 0-9, ., _ and -"
                ));
            }
            normalised
        });
        let page_path = normalise_page_path(path);
        if page_path.is_none() {
            warn(
                "simology-esim: this page's path is not reported: it is longer than 200 characters"
                    .into(),
            );
        }
        Some(Attribution {
            affiliate: id.to_owned(),
            placement,
            page_path,
        })
    }

    /// The beacon of `event`, about `destination` (a country's code or a region's slug).
    pub fn beacon(&self, event: FunnelEvent, destination: Option<&str>) -> Beacon {
        Beacon {
            affiliate: self.affiliate.clone(),
            event,
            placement: self.placement.clone(),
            page_path: self.page_path.clone(),
            destination: destination.map(str::to_owned),
        }
    }

    /// Puts it on a checkout.
    pub fn apply(&self, request: &mut CheckoutRequest) {
        request.affiliate = Some(self.affiliate.clone());
        request.placement = self.placement.clone();
        request.page_path = self.page_path.clone();
    }
}

/// A widget's funnel: its attribution, if any, and the purchase whose checkout it has
/// reported (a retry of the same purchase is not a second checkout).
#[derive(Debug, Clone, Default)]
pub struct Funnel {
    attribution: Option<Attribution>,
    checkout_reported: Option<String>,
}

impl Funnel {
    /// The funnel of a widget with this attribution.
    pub fn new(attribution: Option<Attribution>) -> Self {
        Funnel {
            attribution,
            checkout_reported: None,
        }
    }

    /// The attribution.
    pub fn attribution(&self) -> Option<&Attribution> {
        self.attribution.as_ref()
    }

    /// The beacon to send for `event`: none without an affiliate.
    pub fn event(&self, event: FunnelEvent, destination: Option<&str>) -> Option<Beacon> {
        Some(self.attribution.as_ref()?.beacon(event, destination))
    }

    /// The `checkout_started` beacon of the purchase `intent_id`, the first time only.
    pub fn checkout(&mut self, intent_id: &str, destination: &str) -> Option<Beacon> {
        if self.checkout_reported.as_deref() == Some(intent_id) {
            return None;
        }
        let beacon = self.event(FunnelEvent::CheckoutStarted, Some(destination))?;
        self.checkout_reported = Some(intent_id.to_owned());
        Some(beacon)
    }
}
