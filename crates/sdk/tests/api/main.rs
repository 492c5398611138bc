//! The SDK against the sandbox over loopback HTTP: every endpoint, every error code,
//! idempotency, retries, the circuit breaker, and signed webhook deliveries.

mod endpoints;
mod errors;
mod helpers;
mod resilience;
mod webhooks;
