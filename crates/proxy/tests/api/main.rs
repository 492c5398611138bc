//! The proxy against the sandbox, both on port 0, over HTTP.

mod affiliate_reload;
mod affiliate_reports;
mod affiliates;
mod after_purchase;
mod checkout;
mod crash;
mod helpers;
mod lines;
mod migration;
mod protection;
mod purchase;
mod replicas;
mod webhooks;
