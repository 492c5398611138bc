//! # simology-sdk
//!
//! A typed client for the Simology partner API (catalogue, checkout sessions, orders,
//! lines, top-ups, refunds), webhook signing and verification, and the models both use.
//!
//! - [`models`] and [`events`]: every object of the integration guide; unknown fields
//!   and unknown states are tolerated.
//! - [`money`]: exact amounts in minor units with each currency's decimals.
//! - [`lpa`]: the LPA activation string (`LPA:1$<SM-DP+>$<activation code>`).
//! - [`Client`]: bearer auth, an `Idempotency-Key` on every POST reused on retries,
//!   retries with backoff and jitter, `Retry-After` on 429, a circuit breaker, and a
//!   refusal to send a sandbox key to production or a live key to the sandbox, or
//!   anything over plain http except to a loopback host.
//! - [`webhook`]: `Simology-Signature` verification over `{t}.{raw body}`, with or
//!   without parsing the event.
//!
//! ```no_run
//! # async fn run() -> Result<(), simology::Error> {
//! let client = simology::Client::new(simology::ClientConfig::from_env()?)?;
//! let catalog = client.catalog(&simology::models::CatalogQuery::Country("US".into())).await?;
//! println!("{} plans", catalog.items.len());
//! # Ok(()) }
//! ```
//!
//! Configuration uses the guide's names: `SIMOLOGY_API_KEY`, `SIMOLOGY_WEBHOOK_SECRET`,
//! and `SIMOLOGY_BASE_URL`.
#![deny(missing_docs)]

pub mod breaker;
pub mod client;
pub mod clock;
pub mod config;
pub mod environment;
pub mod error;
pub mod events;
pub mod lpa;
pub mod models;
pub mod money;
pub mod retry;
pub mod webhook;

pub use breaker::{BreakerConfig, CircuitState};
pub use client::{Client, Reply};
pub use config::{ApiKey, ClientConfig};
pub use environment::Environment;
pub use error::{ApiError, Error, Result};
pub use events::{Event, EventEnvelope, EventPayload};
pub use lpa::Lpa;
pub use money::{Currency, Money};
pub use retry::RetryPolicy;
