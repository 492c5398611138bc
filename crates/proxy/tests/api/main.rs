//! The proxy against the sandbox, both on port 0, over HTTP.

mod affiliate_reload;
mod affiliate_reports;
mod affiliates;
mod after_purchase;
mod checkout;
mod client_address;
mod connections;
mod crash;
mod helpers;
mod lines;
mod long_polls;
mod migration;
mod protection;
mod purchase;
mod replicas;
mod webhooks;
