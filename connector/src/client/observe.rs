//! What a client tells about itself: a `tracing` span per request with
//! OpenTelemetry's database attribute names, and its counters.

use std::sync::atomic::{AtomicU64, Ordering};

use redwire_pool::Stats as PoolStats;
use redwire_resp::Frame;
use tracing::field::Empty;

use crate::command::pipeline::Pipeline;
use crate::config::{Config, Endpoint};
use crate::connection::Replies;
use crate::error::Error;

/// A client's counters, from [`Client::stats`](super::Client::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Requests sent (a command, or a pipeline as one); not the reads
    /// answered by the cache ([`Cache::stats`](crate::cache::Cache::stats)).
    pub requests: u64,
    /// Requests that failed (an error reply of a single command included).
    pub failed: u64,
    /// Requests under way now.
    pub in_flight: u64,
    /// Shared (multiplexed) connections started: one per server, and one
    /// more after each failure.
    pub shared_connections: u64,
    /// `MOVED` and `ASK` redirections followed (a cluster).
    pub redirections: u64,
    /// Reads of the topology, or tries (a cluster): see
    /// [`Cluster::refreshes`](crate::Cluster::refreshes).
    pub topology_refreshes: u64,
    /// The pools' counters (summed over a cluster's nodes): connections
    /// made, checkouts that waited, …
    pub pool: PoolStats,
}

impl ClientStats {
    /// Adds one pool's counters.
    pub(super) fn add_pool(&mut self, pool: &PoolStats) {
        let sum = &mut self.pool;
        sum.idle += pool.idle;
        sum.in_use += pool.in_use;
        sum.created += pool.created;
        sum.reused_without_check += pool.reused_without_check;
        sum.validated += pool.validated;
        sum.discarded += pool.discarded;
        sum.waits += pool.waits;
        sum.wait_timeouts += pool.wait_timeouts;
        sum.overflow += pool.overflow;
        sum.invalidations += pool.invalidations;
    }
}

/// The counters a client keeps itself.
#[derive(Debug, Default)]
pub(super) struct Counters {
    requests: AtomicU64,
    failed: AtomicU64,
    in_flight: AtomicU64,
}

impl Counters {
    /// Counts a request until the guard is dropped (cancelled included).
    pub(super) fn begin(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    pub(super) fn read(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            ..ClientStats::default()
        }
    }
}

/// A request under way.
pub(super) struct InFlight<'a>(&'a Counters);

impl InFlight<'_> {
    /// Counts how `pipeline` ended: failed when it did, or when its one
    /// command got an error reply, or when it is a transaction that did
    /// not run (`EXECABORT`, a null `EXEC`).
    pub(super) fn ended(&self, result: &Result<Replies, Error>, pipeline: &Pipeline) {
        let failed = match result {
            Err(_) => true,
            Ok(replies) if pipeline.is_transaction() => matches!(
                replies.last(),
                Some(Err(_) | Ok(Frame::Null | Frame::NullArray))
            ),
            Ok(replies) => replies.len() == 1 && replies[0].is_err(),
        };
        if failed {
            self.0.failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The server's address and port, and the database, as spans name them.
#[derive(Debug, Clone)]
pub(super) struct Target {
    address: Option<String>,
    port: Option<u16>,
    namespace: String,
}

impl Target {
    pub(super) fn of(config: &Config) -> Self {
        let (address, port) = match config.endpoint() {
            Endpoint::Tcp { host, port } => (Some(host.clone()), Some(*port)),
            Endpoint::Unix(path) => (Some(path.display().to_string()), None),
            _ => (None, None),
        };
        Self {
            address,
            port,
            namespace: config.db.to_string(),
        }
    }

    /// The span of one request: the command's name (upper case; never an
    /// argument), or `PIPELINE` / `MULTI` with the batch size.
    pub(super) fn span(&self, pipeline: &Pipeline) -> tracing::Span {
        if !tracing::enabled!(tracing::Level::INFO) {
            return tracing::Span::none();
        }
        let operation = match pipeline.commands().next() {
            Some(command) if pipeline.len() == 1 => command.upper_name(),
            _ if pipeline.is_transaction() => "MULTI".to_owned(),
            _ => "PIPELINE".to_owned(),
        };
        let batch = (pipeline.len() > 1).then_some(pipeline.len());
        tracing::info_span!(
            "redis",
            otel.name = %operation,
            db.system.name = "redis",
            db.operation.name = %operation,
            db.operation.batch.size = batch,
            db.namespace = %self.namespace,
            server.address = self.address.as_deref(),
            server.port = self.port,
            db.response.status_code = Empty,
            error.type = Empty,
        )
    }
}

/// Notes on `span` how the request ended: the error reply's code, or the
/// kind of failure.
pub(super) fn record(span: &tracing::Span, result: &Result<Replies, Error>) {
    if span.is_none() {
        return;
    }
    match result {
        Ok(replies) => {
            if let Some(Err(e)) = replies.iter().find(|r| r.is_err()) {
                span.record("db.response.status_code", e.code());
            }
        }
        Err(Error::Server(e)) => {
            span.record("db.response.status_code", e.code());
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "timeout"
            } else if e.unreached() {
                "unreachable"
            } else if e.keeps_connection() {
                // Refused before anything was sent (a rule of the client's).
                "refused"
            } else {
                "connection"
            };
            span.record("error.type", kind);
        }
    }
}
