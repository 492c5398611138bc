//! The proxy against the sandbox, both on port 0, over HTTP.

mod affiliate_reload;
mod affiliate_reports;
mod affiliates;
mod after_purchase;
mod checkout;
mod client_address;
mod connections;
mod crash;
mod drift;
mod helpers;
mod ingest;
mod lines;
mod logs;
mod long_polls;
mod migration;
mod operators;
mod outgoing;
mod payment_url;
mod protection;
mod purchase;
mod quarantine;
mod receiver;
mod replicas;
mod webhooks;
