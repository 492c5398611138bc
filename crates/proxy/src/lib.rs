//! # simology-proxy
//!
//! The partner proxy: the widget's only server. It holds the Simology API key, caches
//! the catalogue, creates checkout sessions, receives and verifies webhooks, stores
//! orders (SQLite by default), and serves order status to the widget.
//!
//! Run it with `simology-proxy` (see `--help`, docs/settings.md and
//! docs/operating.md). In tests, [`Application::build`] binds port 0 and
//! [`Application::run_until_stopped`] serves until a shutdown future completes.
//! Under a supervisor that holds the listening socket (systemd's socket activation),
//! [`Application::build_on`] serves the socket it passed ([`Inherited`]), so that a
//! restart drops no connection: the kernel queues them while one process drains and
//! the next starts.
//!
//! Modules depend downwards only: `routes` (HTTP) call `services` (the work of a
//! request), which use `state` (what is shared), the `store`, the `catalog` and the
//! plain types (`domain`, `order`, `outgoing`: what the partner's systems are told);
//! `fulfilment` is the background work. Nothing below imports this file.

pub mod affiliates;
pub mod catalog;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod countries;
mod country_names;
pub mod domain;
pub mod error;
pub mod fulfilment;
pub mod metrics;
pub mod middleware;
pub mod money;
pub mod openapi;
pub mod order;
pub mod outgoing;
pub mod ratelimit;
pub mod routes;
pub mod serve;
pub mod services;
pub mod state;
pub mod store;
pub mod widget;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::net::{TcpListener, TcpSocket};

pub use client_ip::ClientIp;
pub use routes::app;
pub use state::{AppState, SharedState};

use crate::config::Settings;

/// Listening sockets a supervisor passed to the process (systemd's socket activation
/// protocol: `LISTEN_FDS` descriptors from 3 on, for the process `LISTEN_PID`). The
/// first is the public listener, a second the admin listener (`/admin`, `/metrics`).
#[derive(Debug, Default)]
pub struct Inherited {
    public: Option<std::net::TcpListener>,
    admin: Option<std::net::TcpListener>,
}

impl Inherited {
    /// The sockets passed in the environment, if any; the variables are removed so
    /// that no child process takes them for its own. Call it before other threads
    /// start (it changes the environment).
    ///
    /// # Errors
    /// When a passed descriptor is not a listening TCP socket, or more than two are
    /// passed.
    pub fn from_env() -> Result<Inherited> {
        let mut fds = listenfd::ListenFd::from_env();
        if fds.len() > 2 {
            anyhow::bail!(
                "{} sockets were passed (LISTEN_FDS): the proxy takes the public listener \
                 and, optionally, the admin listener",
                fds.len()
            );
        }
        let mut take = |i: usize| -> Result<Option<std::net::TcpListener>> {
            let listener = fds
                .take_tcp_listener(i)
                .with_context(|| format!("the passed socket {i} is not a TCP listener"))?;
            if let Some(l) = &listener {
                l.set_nonblocking(true)?;
            }
            Ok(listener)
        };
        Ok(Inherited {
            public: take(0)?,
            admin: take(1)?,
        })
    }
}

/// A built proxy, bound and connected, not yet serving.
pub struct Application {
    listener: TcpListener,
    /// `/admin` and `/metrics`, when they have their own address (`PROXY_ADMIN_LISTEN`).
    admin_listener: Option<TcpListener>,
    state: SharedState,
}

impl Application {
    /// Connects the database (applying migrations), builds the upstream client, and
    /// binds the listen address (port 0 picks one).
    ///
    /// # Errors
    /// When the database, the client or the socket cannot be set up.
    pub async fn build(settings: Settings) -> Result<Application> {
        Application::build_on(settings, Inherited::default()).await
    }

    /// [`Application::build`] on the sockets a supervisor passed, where it passed
    /// them: `PROXY_LISTEN` is then not bound, nor `PROXY_ADMIN_LISTEN` when an admin
    /// socket was passed too.
    ///
    /// # Errors
    /// As [`Application::build`].
    pub async fn build_on(settings: Settings, inherited: Inherited) -> Result<Application> {
        let listen = settings.listen;
        let state = AppState::connect(settings).await?;
        let listener = match inherited.public {
            Some(l) => TcpListener::from_std(l).context("serving the passed socket")?,
            None => bind(listen).with_context(|| format!("PROXY_LISTEN: cannot bind {listen}"))?,
        };
        let admin_listener = match (inherited.admin, state.settings.admin_listen) {
            (Some(l), _) => {
                Some(TcpListener::from_std(l).context("serving the passed admin socket")?)
            }
            (None, Some(admin)) => Some(
                bind(admin).with_context(|| format!("PROXY_ADMIN_LISTEN: cannot bind {admin}"))?,
            ),
            (None, None) => None,
        };
        Ok(Application {
            listener,
            admin_listener,
            state,
        })
    }

    /// The admin listener's bound address, when there is one.
    ///
    /// # Errors
    /// When its socket has no local address.
    pub fn admin_addr(&self) -> Result<Option<SocketAddr>> {
        self.admin_listener
            .as_ref()
            .map(|l| l.local_addr().context("reading the admin address"))
            .transpose()
    }

    /// The bound address.
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .context("reading the bound address")
    }

    /// The shared state (for tests).
    pub fn state(&self) -> SharedState {
        Arc::clone(&self.state)
    }

    /// Serves until `shutdown` completes, then stops taking requests, lets in-flight
    /// requests (webhooks among them) finish, ends long-polls, and stops the
    /// background tasks (see [`serve::serve`] for the connections' limits).
    ///
    /// # Errors
    /// None today: a failed accept concerns one connection and is logged (out of file
    /// descriptors, idle connections are closed and accepting pauses).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let Application {
            listener,
            admin_listener,
            state,
        } = self;
        let background = fulfilment::spawn_background(&state);
        let admin = admin_listener.map(|l| tokio::spawn(serve_admin(l, Arc::clone(&state))));
        let router = app(Arc::clone(&state));
        // Once the shutdown comes, `serve` marks every connection to close after its
        // answer, then ends the long-polls (now rather than at their deadline).
        serve::serve(listener, router, Arc::clone(&state), async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
        })
        .await;
        state.begin_shutdown();
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        for task in background {
            let _ = task.await;
        }
        // The beacons of the last requests, counted after the flusher's last pass.
        if let Err(e) = state.beacons.flush(&state).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "writing the funnel's last counts failed"
            );
        }
        Ok(())
    }
}

/// Connections waiting to be accepted, at most (the kernel may allow fewer): a burst
/// of clients waits in the queue rather than being refused while room is made.
const BACKLOG: u32 = 4096;

fn bind(addr: SocketAddr) -> Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // As std and tokio bind: a restarted proxy can take its port again at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket.listen(BACKLOG)?)
}

/// Serves `/admin` and `/metrics` on their own listener, with the public one's
/// timeouts and a connection cap of its own (`PROXY_ADMIN_MAX_CONNECTIONS`), until the
/// shutdown begins.
async fn serve_admin(listener: TcpListener, state: SharedState) {
    let stopping = state.shutting_down();
    let router = routes::admin_app(Arc::clone(&state));
    let cap = state.settings.serving.admin_max_connections;
    serve::serve_capped(listener, router, state, cap, stopping).await;
}
