//! # simology-widget-core
//!
//! The widget's plain logic, apart from the browser so that it is tested natively:
//! translations ([`i18n`]), exact price and data formatting ([`format`]), destination
//! search ([`search`]), plan sorting ([`plans`]), order status, its travellers' cards and polling ([`status`]),
//! install links ([`install`]), the checkout's eSIM compatibility step ([`compat`]), small stable sorts ([`sorting`]), the QR code ([`qr`]) and remembered orders ([`saved`]).

pub mod compat;
pub mod format;
pub mod i18n;
pub mod install;
pub mod plans;
pub mod qr;
pub mod saved;
pub mod search;
pub mod sorting;
pub mod status;
