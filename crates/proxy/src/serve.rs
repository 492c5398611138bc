//! Serving HTTP/1.1 on a listener with the limits `axum::serve` does not set: a cap on
//! open connections, a header-read timeout, an idle keep-alive timeout (the body's is
//! set by `middleware::request_context`), and a graceful stop.
//!
//! hyper serves each connection; around it, this module keeps one `Conn` per
//! connection that says whether a request is in flight (from the handler's call until
//! its answer's body is sent or dropped) and, when none is, since when the connection
//! has been idle or reading the headers of the next request. A watchdog per connection
//! closes it when the headers take longer than the header-read timeout (counted from
//! their first byte, or from the connection's opening) or when it sits idle longer than
//! the idle timeout. At the cap, the connections with nothing in flight are closed,
//! those idle longest first, to make room: silent or slow sockets cannot keep a client
//! with a request out. Connections with a request in flight (long-polls among them)
//! are never closed for room; their number per client is capped by the long-poll cap.
//!
//! hyper's own header-read timeout is not used: it also starts when a keep-alive
//! connection goes idle, so it cannot tell an idle connection from slow headers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::routing::future::RouteFuture;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::state::SharedState;

/// File descriptors kept for the database, the upstream client and the rest when the
/// open-file limit lowers the connection cap.
const RESERVED_FILES: u64 = 128;

/// The connection cap the settings and the process's open-file limit allow together:
/// `max`, or less when the soft limit of open files is lower (a proxy that accepted
/// up to that limit could no longer open its database).
pub fn connection_cap(max: usize) -> usize {
    let soft = match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, _)) if soft != rlimit::INFINITY => soft,
        _ => return max,
    };
    let usable = soft.saturating_sub(RESERVED_FILES).max(soft / 2);
    let cap = usize::try_from(usable)
        .unwrap_or(usize::MAX)
        .min(max)
        .max(1);
    if cap < max {
        tracing::warn!(
            cap,
            open_file_limit = soft,
            "PROXY_MAX_CONNECTIONS lowered to what the open-file limit allows (raise `ulimit -n` for more)"
        );
    }
    cap
}

/// What one connection is doing, shared by its task, its reads and its requests.
struct Conn {
    /// Requests in flight: from the handler's call until the answer's body is done.
    busy: AtomicU32,
    /// With nothing in flight: whether the next request's headers have begun to
    /// arrive (or the connection is new).
    reading: AtomicBool,
    /// With nothing in flight: when the connection went idle, or when the headers began
    /// (ms since the server's start).
    since_ms: AtomicU64,
    /// Asked to close (for room, or because the server stops).
    closing: AtomicBool,
    /// Asked to close because the server stops: a request whose headers have begun to
    /// arrive is still answered (with `Connection: close`), never cut off.
    draining: AtomicBool,
    close: tokio::sync::Notify,
    /// A request went in flight while draining.
    started: tokio::sync::Notify,
    epoch: Instant,
}

impl Conn {
    fn new(epoch: Instant) -> Self {
        Conn {
            busy: AtomicU32::new(0),
            // A new connection is reading its first request's headers.
            reading: AtomicBool::new(true),
            since_ms: AtomicU64::new(ms_since(epoch)),
            closing: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            close: tokio::sync::Notify::new(),
            started: tokio::sync::Notify::new(),
            epoch,
        }
    }

    fn idle(&self) -> bool {
        self.busy.load(Ordering::SeqCst) == 0
    }

    /// Bytes came in: with nothing in flight, a request's headers have begun.
    fn bytes_arrived(&self) {
        if self.idle() && !self.reading.load(Ordering::SeqCst) {
            self.since_ms.store(ms_since(self.epoch), Ordering::SeqCst);
            self.reading.store(true, Ordering::SeqCst);
        }
    }

    /// `Err(why)` when the connection has outstayed a limit, else when to look again.
    fn check(&self, limits: &Limits) -> Result<u64, &'static str> {
        let now = ms_since(self.epoch);
        if !self.idle() {
            return Ok(now + limits.header_read_ms.min(limits.idle_ms));
        }
        let since = self.since_ms.load(Ordering::SeqCst);
        let (limit, why) = if self.reading.load(Ordering::SeqCst) {
            (limits.header_read_ms, "header_timeout")
        } else {
            (limits.idle_ms, "idle_timeout")
        };
        let end = since.saturating_add(limit);
        if now >= end {
            Err(why)
        } else {
            Ok(end)
        }
    }

    fn ask_to_close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.close.notify_one();
    }

    /// The server stops: close once the request in flight or arriving is answered.
    fn ask_to_drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.ask_to_close();
    }
}

fn ms_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A request in flight on a connection; when it ends (its answer's body done, or the
/// request dropped), the connection is idle again from that moment.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn start(conn: &Arc<Conn>) -> Self {
        conn.busy.fetch_add(1, Ordering::SeqCst);
        conn.reading.store(false, Ordering::SeqCst);
        if conn.draining.load(Ordering::SeqCst) {
            conn.started.notify_one();
        }
        InFlight(Arc::clone(conn))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.since_ms.store(ms_since(conn.epoch), Ordering::SeqCst);
        conn.reading.store(false, Ordering::SeqCst);
        conn.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The limits in milliseconds.
#[derive(Clone, Copy)]
struct Limits {
    header_read_ms: u64,
    idle_ms: u64,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The open connections.
struct OpenConnections {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl OpenConnections {
    /// Asks up to `n` connections with nothing in flight to close, those idle longest
    /// first. Returns how many were asked.
    fn evict_idle(&self, n: usize) -> usize {
        let Ok(conns) = self.conns.lock() else {
            return 0;
        };
        let mut idle: Vec<(u64, &Arc<Conn>)> = conns
            .values()
            .filter(|c| c.idle() && !c.closing.load(Ordering::SeqCst))
            .map(|c| (c.since_ms.load(Ordering::SeqCst), c))
            .collect();
        let n = n.min(idle.len());
        if n == 0 {
            return 0;
        }
        if n < idle.len() {
            idle.select_nth_unstable_by_key(n - 1, |(since, _)| *since);
        }
        for (_, c) in &idle[..n] {
            c.ask_to_close();
        }
        n
    }

    fn drain_all(&self) {
        if let Ok(conns) = self.conns.lock() {
            for c in conns.values() {
                c.ask_to_drain();
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then takes no more
/// connections, closes the idle ones, answers the requests in flight and those whose
/// headers have begun to arrive, each with `Connection: close`, begins the state's
/// shutdown (long-polls answer at once), and returns once every connection is closed.
/// Connections still waiting in the listener's queue are left there: with a socket
/// passed by a supervisor, the next process accepts them (see `lib.rs`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    state: SharedState,
    shutdown: impl Future<Output = ()>,
) {
    let max = state.settings.serving.max_connections;
    serve_capped(listener, router, state, max, shutdown).await;
}

/// [`serve`] with a cap of `max_connections` of its own (the admin listener's).
pub async fn serve_capped(
    listener: TcpListener,
    router: Router,
    state: SharedState,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) {
    let settings = &state.settings.serving;
    let cap = connection_cap(max_connections);
    let limits = Limits {
        header_read_ms: millis(settings.header_read_timeout),
        idle_ms: millis(settings.idle_timeout),
    };
    let epoch = Instant::now();
    let registry = Arc::new(OpenConnections {
        conns: Mutex::new(HashMap::new()),
    });
    let permits = Arc::new(Semaphore::new(cap));
    // Evicting a few at a time when full keeps the scans rare under a flood.
    let batch = 1 + cap / 256;
    let mut next_id: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                state.metrics.connections_full();
                let mut found = None;
                while found.is_none() {
                    registry.evict_idle(batch);
                    tokio::select! {
                        p = Arc::clone(&permits).acquire_owned() => match p {
                            Ok(p) => found = Some(p),
                            Err(_) => return,
                        },
                        // Connections that go idle meanwhile make room too.
                        () = tokio::time::sleep(Duration::from_millis(50)) => {}
                        () = &mut shutdown => break,
                    }
                }
                match found {
                    Some(p) => p,
                    None => break,
                }
            }
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    accept_failed(&e, &registry, batch).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // No Nagle delay: long-poll answers and small JSON bodies leave at once.
        let _ = tcp.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let conn = Arc::new(Conn::new(epoch));
        if let Ok(mut conns) = registry.conns.lock() {
            conns.insert(id, Arc::clone(&conn));
        }
        state.metrics.connection_opened();
        let registry = Arc::clone(&registry);
        let state = Arc::clone(&state);
        let router = router.clone();
        tokio::spawn(async move {
            let why = connection(tcp, peer, router, &conn, limits).await;
            if let Ok(mut conns) = registry.conns.lock() {
                conns.remove(&id);
            }
            state.metrics.connection_closed(why);
            drop(permit);
        });
    }
    drop(listener);
    // Every connection first: from now on each answer says `Connection: close`, so that
    // a client's next request goes to the next process, never to a closing connection.
    registry.drain_all();
    // Then the long-polls answer and the background work stops.
    state.begin_shutdown();
    // Every connection holds a permit until it is closed.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// After a failed accept: out of file descriptors, close idle connections and pause
/// (the error would repeat at once); other errors concern one connection only.
async fn accept_failed(e: &io::Error, registry: &OpenConnections, batch: usize) {
    let out_of_files = matches!(e.raw_os_error(), Some(23 | 24)); // ENFILE, EMFILE
    if out_of_files {
        tracing::warn!(error = %e, "out of file descriptors: closing idle connections");
        registry.evict_idle(batch);
        tokio::time::sleep(Duration::from_millis(20)).await;
    } else {
        tracing::debug!(error = %e, "accept failed");
    }
}

/// Serves one connection until it ends; returns why it ended.
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    conn: &Arc<Conn>,
    limits: Limits,
) -> &'static str {
    let io = TokioIo::new(Tracked {
        tcp,
        conn: Arc::clone(conn),
    });
    let service = ConnService {
        router,
        peer,
        conn: Arc::clone(conn),
    };
    let served = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(served);
    let mut look_at = conn.epoch + Duration::from_millis(limits.header_read_ms);
    let mut drain_once_started = false;
    loop {
        tokio::select! {
            // The connection's own work first: the other two are rare.
            biased;
            ended = served.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return "closed";
            }
            () = conn.close.notified() => {
                let reading = conn.idle() && conn.reading.load(Ordering::SeqCst);
                if !conn.draining.load(Ordering::SeqCst) {
                    if reading {
                        // Nothing in flight and at most part of a request's headers:
                        // the client loses nothing it was promised.
                        return "evicted";
                    }
                    served.as_mut().graceful_shutdown();
                } else if reading {
                    // The server stops while a request arrives (or a new connection's
                    // first): it is answered, then the connection closes. The
                    // header-read limit still bounds the wait.
                    drain_once_started = true;
                } else {
                    // Idle between requests: hyper closes at once; in flight: after
                    // the answer, with `Connection: close`. (A request that is still
                    // in the network when an idle connection closes is cut off, as at
                    // any close of an idle keep-alive connection: nothing of it was
                    // read, and clients send it again on a new connection.)
                    served.as_mut().graceful_shutdown();
                }
            }
            () = conn.started.notified(), if drain_once_started => {
                drain_once_started = false;
                served.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(look_at) => match conn.check(&limits) {
                Ok(next) => look_at = conn.epoch + Duration::from_millis(next),
                Err(why) => return why,
            },
        }
    }
}

/// The socket, noting when bytes arrive (the start of a request's headers).
struct Tracked {
    tcp: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.conn.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// The router for one connection: it gives handlers the peer's address and keeps the
/// connection's count of requests in flight.
struct ConnService {
    router: Router,
    peer: SocketAddr,
    conn: Arc<Conn>,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<Answer>;
    type Error = Infallible;
    type Future = Answering;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let in_flight = InFlight::start(&self.conn);
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let mut router = self.router.clone();
        Answering {
            inner: tower::Service::call(&mut router, request),
            in_flight: Some(in_flight),
        }
    }
}

/// The router's answer on its way; the request stays in flight until its body is done.
struct Answering {
    inner: RouteFuture<Infallible>,
    in_flight: Option<InFlight>,
}

impl Future for Answering {
    type Output = Result<Response<Answer>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(mut response)) => {
                let in_flight = this.in_flight.take();
                if in_flight
                    .as_ref()
                    .is_some_and(|f| f.0.draining.load(Ordering::SeqCst))
                {
                    response.headers_mut().insert(
                        axum::http::header::CONNECTION,
                        axum::http::HeaderValue::from_static("close"),
                    );
                }
                Poll::Ready(Ok(response.map(|body| Answer {
                    body,
                    _in_flight: in_flight,
                })))
            }
            Poll::Ready(Err(never)) => match never {},
        }
    }
}

/// An answer's body; the request it answers is in flight until it is done.
pub struct Answer {
    body: Body,
    _in_flight: Option<InFlight>,
}

impl http_body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_read_ms: 10_000,
            idle_ms: 30_000,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn slow_headers_and_idle_connections_outstay_their_limits() {
        let epoch = Instant::now();
        let conn = Arc::new(Conn::new(epoch));
        // New: reading the first headers, from the opening.
        assert_eq!(conn.check(&limits()), Ok(10_000));
        tokio::time::advance(Duration::from_millis(10_000)).await;
        assert_eq!(conn.check(&limits()), Err("header_timeout"));

        let conn = Arc::new(Conn::new(Instant::now()));
        let request = InFlight::start(&conn);
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(
            conn.check(&limits()).is_ok(),
            "a request in flight is never timed out"
        );
        drop(request);
        // Idle from the answer on.
        let idle_from = ms_since(conn.epoch);
        assert_eq!(conn.check(&limits()), Ok(idle_from + 30_000));
        tokio::time::advance(Duration::from_secs(20)).await;
        // The next request's first bytes: the header-read limit counts from them.
        conn.bytes_arrived();
        assert_eq!(conn.check(&limits()), Ok(idle_from + 20_000 + 10_000));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(conn.check(&limits()), Err("header_timeout"));
    }

    #[tokio::test(start_paused = true)]
    async fn room_is_made_by_closing_the_longest_idle_first() {
        let epoch = Instant::now();
        let registry = OpenConnections {
            conns: Mutex::new(HashMap::new()),
        };
        let mut conns = Vec::new();
        for id in 0..4u64 {
            let c = Arc::new(Conn::new(epoch));
            tokio::time::advance(Duration::from_secs(1)).await;
            registry
                .conns
                .lock()
                .expect("lock")
                .insert(id, Arc::clone(&c));
            conns.push(c);
        }
        // The oldest has a request in flight: it is never closed for room.
        let _busy = InFlight::start(&conns[0]);
        assert_eq!(registry.evict_idle(2), 2);
        let closing: Vec<bool> = conns
            .iter()
            .map(|c| c.closing.load(Ordering::SeqCst))
            .collect();
        assert_eq!(closing, vec![false, true, true, false]);
        assert_eq!(registry.evict_idle(5), 1, "only the last idle one is left");
    }
}
