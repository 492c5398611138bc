//! The widget's components, one concern a file. They reach the context, the
//! purchase flow and the order polling through modules outside this folder, and
//! import each other only downwards (`app` → `picker`/`order` → ...), never back.

pub mod app;
pub mod checkout;
pub mod order;
pub mod picker;
pub mod plans;
pub mod ready;
pub mod search;
pub mod topups;
pub mod usage;
