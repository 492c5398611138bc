//! Attribution: the affiliate a widget sells for and where it sits, as the proxy
//! signed it into the widget's frame when it served the frame to one of that
//! affiliate's sites (the browser enforces where the frame may be shown: its
//! `frame-ancestors`), and the host page's path. Checkouts carry it, and the funnel's
//! beacons (shown, destination chosen, plan chosen, checkout started) report it to the
//! proxy, which believes only its own signature: a name in a request's body credits
//! nobody.
//!
//! Nothing here names the reader: a beacon is the signed attribution, the page's path,
//! a destination and the event. The affiliate network's click id (from the host page's
//! address, see the element's `click-param`) goes with the checkout only, never in a
//! beacon.

use simology_proxy_api::{
    is_valid_click_id, normalise_page_path, Beacon, CheckoutRequest, FunnelEvent,
};

/// Who a widget sells for: the proxy's signature of it, and the page's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The signed attribution (opaque here).
    pub token: String,
    /// The host page's path, normalised (`None` when the proxy would refuse it).
    pub page_path: Option<String>,
    /// The affiliate network's click id, for the checkout's conversion postbacks.
    pub click_id: Option<String>,
}

impl Attribution {
    /// The attribution the proxy signed (`token`), on a page whose path is `path`.
    pub fn signed(token: &str, path: &str) -> Attribution {
        Attribution {
            token: token.to_owned(),
            page_path: normalise_page_path(path),
            click_id: None,
        }
    }

    /// With the network's click id the host page's address carried, if it is one the
    /// proxy takes (`is_valid_click_id`); any other is left out, so the checkout goes on.
    pub fn with_click_id(self, click_id: Option<&str>) -> Attribution {
        Attribution {
            click_id: click_id.filter(|c| is_valid_click_id(c)).map(str::to_owned),
            ..self
        }
    }

    /// The beacon of `event`, about `destination` (a country's code or a region's slug).
    pub fn beacon(&self, event: FunnelEvent, destination: Option<&str>) -> Beacon {
        Beacon {
            attribution: self.token.clone(),
            event,
            page_path: self.page_path.clone(),
            destination: destination.map(str::to_owned),
        }
    }

    /// Puts it on a checkout.
    pub fn apply(&self, request: &mut CheckoutRequest) {
        request.attribution = Some(self.token.clone());
        request.page_path = self.page_path.clone();
        request.click_id = self.click_id.clone();
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
