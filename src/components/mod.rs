//! The widget's components, one concern a file.

pub mod app;
pub mod checkout;
pub mod order;
pub mod picker;
pub mod ready;
pub mod search;
