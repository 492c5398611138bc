//! The proxy against the sandbox, both on port 0, over HTTP.

mod after_purchase;
mod checkout;
mod crash;
mod drift;
mod helpers;
mod ingest;
mod logs;
mod operators;
mod payment_url;
mod protection;
mod purchase;
mod quarantine;
mod replicas;
mod webhooks;
