//! Sandbox or production: which environment a key or a base URL belongs to.
//!
//! This module depends on nothing else of the crate, so that both the errors and the
//! configuration can name an [`Environment`] without depending on each other.

use std::fmt;

use url::Url;

/// The production API's host.
pub const PRODUCTION_HOST: &str = "api.simology.io";
/// The sandbox API's host.
pub const SANDBOX_HOST: &str = "sandbox-api.simology.io";

/// Sandbox or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Test payments and simulated activation; keys start `sk_sandbox_`.
    Sandbox,
    /// Real money and real eSIMs; keys start `sk_live_`.
    Production,
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        })
    }
}

impl Environment {
    /// The environment a key belongs to, from its prefix.
    pub fn of_key(key: &str) -> Option<Environment> {
        if key.starts_with("sk_sandbox_") {
            Some(Environment::Sandbox)
        } else if key.starts_with("sk_live_") {
            Some(Environment::Production)
        } else {
            None
        }
    }

    /// The environment a base URL points at: the production host is production, every
    /// other host (the sandbox host, a local simulator) is treated as a sandbox.
    pub fn of_url(url: &Url) -> Environment {
        if url.host_str() == Some(PRODUCTION_HOST) {
            Environment::Production
        } else {
            Environment::Sandbox
        }
    }

    /// The default base URL.
    pub fn base_url(&self) -> Url {
        let text = match self {
            Environment::Sandbox => "https://sandbox-api.simology.io",
            Environment::Production => "https://api.simology.io",
        };
        // Both literals are valid URLs.
        Url::parse(text).unwrap_or_else(|_| unreachable!("constant URL"))
    }
}
