//! The proxy against the sandbox, both on port 0, over HTTP.

mod after_purchase;
mod checkout;
mod client_address;
mod connections;
mod crash;
mod helpers;
mod long_polls;
mod protection;
mod purchase;
mod replicas;
mod webhooks;
