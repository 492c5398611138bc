//! The widget's components, one concern a file. They reach the context, the
//! purchase flow and the order polling through modules outside this folder, and
//! import each other only downwards (`app` → `picker`/`order` → ...), never back.

pub mod app;
#[cfg(feature = "checkout")]
pub mod checkout;
#[cfg(feature = "checkout")]
pub mod compat;
#[cfg(feature = "status")]
pub mod order;
#[cfg(feature = "picker")]
pub mod picker;
#[cfg(feature = "picker")]
pub mod plans;
#[cfg(feature = "status")]
pub mod ready;
#[cfg(feature = "picker")]
pub mod search;
#[cfg(feature = "status")]
pub mod topups;
#[cfg(feature = "status")]
pub mod usage;
