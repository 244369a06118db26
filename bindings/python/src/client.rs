//! `NativeClient`: requests on pooled connections (or a cluster), with the
//! GIL released while they wait.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use redwire::{
    Cluster, ClusterOptions, Config, Connector, Endpoint, Error, Frame, Pipeline, Pool,
    PooledConnection, SharedConnection,
};

use crate::args::FlatArgs;
use crate::completions::{Completions, Outcome};
use crate::errors;
use crate::options::Options;
use crate::reply;
use crate::runtime::{calling_threads, runtime};
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::{Mutex, OnceCell};

/// How long a sync call waits on the network before it looks for a signal
/// (Ctrl-C) that Python should raise.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// How long a sync call polls for its reply before its thread sleeps (at
/// 50 µs a local GET took 32 µs, at 100 µs 28 µs, and longer gained
/// nothing; without it, 72 µs: see benches/RESULTS.md).
const SPIN: Duration = Duration::from_micros(100);

/// Where requests go.
#[derive(Clone)]
enum Target {
    /// A pooled connection per request.
    Pool(Pool),
    /// One pooled connection for every request, taken on the first and kept
    /// until released (a pipeline's `WATCH` ... `EXEC`).
    Held(Pool, Arc<Mutex<Option<PooledConnection>>>),
    /// A cluster client.
    Cluster(Arc<LazyCluster>),
}

/// A cluster client made on first use (its slot map takes a round trip).
struct LazyCluster {
    made: OnceCell<Cluster>,
    config: Config,
    options: ClusterOptions,
}

impl LazyCluster {
    async fn get(&self) -> Result<&Cluster, Error> {
        self.made
            .get_or_try_init(|| Cluster::connect(self.config.clone(), self.options.clone()))
            .await
    }
}

impl Target {
    async fn cmd(&self, args: &FlatArgs) -> Result<Frame, Error> {
        match self {
            Self::Pool(pool) => pool.get().await?.cmd(args).await,
            Self::Held(pool, held) => match &mut *held.lock().await {
                Some(connection) => connection.cmd(args).await,
                slot @ None => slot.insert(pool.get().await?).cmd(args).await,
            },
            Self::Cluster(cluster) => cluster.get().await?.cmd(args).await,
        }
    }

    async fn pipeline(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        if pipeline.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Self::Pool(pool) => pool.get().await?.pipeline(pipeline).await,
            Self::Held(pool, held) => match &mut *held.lock().await {
                Some(connection) => connection.pipeline(pipeline).await,
                slot @ None => slot.insert(pool.get().await?).pipeline(pipeline).await,
            },
            Self::Cluster(cluster) => cluster.get().await?.pipeline(pipeline).await,
        }
    }
}

/// A client: a pool of connections to one server (direct or found through
/// sentinels), or a cluster client.
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct NativeClient {
    target: Target,
    decode: bool,
    /// For pub/sub connections of their own.
    connector: Connector,
    /// An asyncio client's connection for the commands every task may
    /// share (automatic pipelining); the pool serves the others.
    shared: Option<SharedConnection>,
    /// Where the requests run.
    runtime: Arc<Runtime>,
}

/// What a pipeline's replies come back as.
pub(crate) type Replies = Vec<Result<Frame, redwire::ServerError>>;

/// Runs `request` on the shared runtime with the GIL released.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    request: impl Future<Output = Result<T, Error>> + Send,
) -> PyResult<T> {
    run_on(py, runtime()?, request)
}

/// Runs `request` on `runtime` with the GIL released. A signal (Ctrl-C)
/// raises its exception within [`SIGNAL_CHECK`]: the request is dropped,
/// and with it its connection.
fn run_on<T: Send>(
    py: Python<'_>,
    runtime: &Runtime,
    request: impl Future<Output = Result<T, Error>> + Send,
) -> PyResult<T> {
    let mut request = std::pin::pin!(request);
    loop {
        let waited = py.detach(|| {
            // The timer is made inside: it needs the runtime's context.
            runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK, request.as_mut()).await })
        });
        match waited {
            Ok(outcome) => return outcome.map_err(|e| errors::to_pyerr(py, &e)),
            Err(_) => py.check_signals()?,
        }
    }
}

/// `request`, polled again at once (the runtime checking its sockets
/// without sleeping) for up to [`SPIN`] once it waits, then left to wait
/// as usual: a thread put to sleep takes tens of microseconds to wake on a
/// virtual machine, longer than a local round trip. For single commands:
/// a pipeline's replies take the server longer than that.
async fn spinning<F: Future>(request: F) -> F::Output {
    let mut request = std::pin::pin!(request);
    let started = Instant::now();
    std::future::poll_fn(|cx| {
        if let Poll::Ready(outcome) = request.as_mut().poll(cx) {
            return Poll::Ready(outcome);
        }
        if started.elapsed() < SPIN {
            // Its first poll asks the runtime to poll again after a look at
            // the sockets that does not block.
            let _ = std::pin::pin!(tokio::task::yield_now()).poll(cx);
        }
        Poll::Pending
    })
    .await
}

/// `commands` as one pipeline, between `MULTI` and `EXEC` for a
/// transaction.
fn build_pipeline(commands: &Bound<'_, PyList>, transaction: bool) -> PyResult<Pipeline> {
    let mut pipeline = Pipeline::new();
    let mut args = FlatArgs::default();
    if transaction {
        pipeline.cmd(&["MULTI"]);
    }
    for command in commands.iter() {
        args.fill(command.cast::<PyTuple>()?)?;
        pipeline.cmd(&args);
    }
    if transaction {
        pipeline.cmd(&["EXEC"]);
    }
    Ok(pipeline)
}

/// A pipeline's replies as `(list, failed)`: an error reply as a
/// `ResponseError` instance in its place, `failed` when there is one; for a
/// transaction, `EXEC`'s replies (a `WATCH`ed key that changed raises
/// `WatchError`; a refused command, the `EXECABORT` naming it).
pub(crate) fn pipeline_results<'py>(
    py: Python<'py>,
    replies: &Replies,
    transaction: bool,
    decode: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let results = PyList::empty(py);
    let mut failed = false;
    if !transaction {
        for reply in replies {
            results.append(match reply {
                Ok(frame) => reply::to_python(py, frame, decode)?,
                Err(e) => {
                    failed = true;
                    errors::response_error(py, e.message())?
                }
            })?;
        }
        return (results, failed).into_pyobject(py);
    }
    match replies.last() {
        Some(Ok(Frame::Array(items))) => {
            for item in items {
                failed |= matches!(item, Frame::Error(_) | Frame::BulkError(_));
                results.append(reply::to_python(py, item, decode)?)?;
            }
            (results, failed).into_pyobject(py)
        }
        Some(Ok(frame)) if frame.is_null() => Err(PyErr::from_value(
            py.import("redwire.exceptions")?
                .getattr("WatchError")?
                .call1(("a watched key changed: the transaction did not run",))?,
        )),
        Some(Err(exec)) => {
            // EXECABORT: name the command the server refused to queue.
            let queued = replies.iter().skip(1).position(Result::is_err);
            let detail = queued
                .and_then(|i| {
                    replies[i + 1]
                        .as_ref()
                        .err()
                        .map(|e| format!("; command {} failed: {}", i + 1, e.message()))
                })
                .unwrap_or_default();
            Err(PyErr::from_value(errors::response_error(
                py,
                &format!("{}{detail}", exec.message()),
            )?))
        }
        _ => Err(PyErr::from_value(errors::response_error(
            py,
            "EXEC did not answer with the replies",
        )?)),
    }
}

impl NativeClient {
    /// Gives a held connection back to its pool (or closes it, if it is
    /// watching keys or inside `MULTI`), on the runtime that made it. A
    /// request still running keeps it: it goes back as that request ends.
    fn release(&self) {
        if let Target::Held(_, held) = &self.target {
            let _inside = self.runtime.enter();
            if let Ok(mut held) = held.try_lock() {
                held.take();
            }
        }
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        self.release();
    }
}

#[pymethods]
impl NativeClient {
    /// A client from the options (see `redwire.Client`); a sync cluster
    /// client connects at once, a pooled one (and an asyncio cluster client,
    /// whose connect must not block the event loop) on first use.
    /// With `asyncio`, requests run on the shared runtime's threads (see
    /// `Completions`); else on a runtime of the client's own, driven by the
    /// calling threads.
    #[new]
    #[pyo3(signature = (options, asyncio=false))]
    fn new(py: Python<'_>, options: &Bound<'_, PyDict>, asyncio: bool) -> PyResult<Self> {
        let options = Options::from_dict(py, options)?;
        let runtime = if asyncio {
            runtime()?.clone()
        } else {
            calling_threads()?
        };
        let connector = Connector::new(options.config.clone());
        let target = if matches!(options.config.endpoint(), Endpoint::Cluster(_)) {
            let cluster_options = ClusterOptions::default()
                .pool(options.pool)
                .read_from_replicas(options.read_from_replicas);
            let cluster = Arc::new(LazyCluster {
                made: OnceCell::new(),
                config: options.config,
                options: cluster_options,
            });
            if !asyncio {
                run_on(py, &runtime, async { cluster.get().await.map(drop) })?;
            }
            Target::Cluster(cluster)
        } else {
            let pool = {
                let _runtime = runtime.enter();
                connector.clone().pool(options.pool)
            };
            Target::Pool(pool.map_err(|e| errors::to_pyerr(py, &Error::from(e)))?)
        };
        // Not through sentinels: a shared connection would not follow a
        // failover as the pool does.
        let shared = (asyncio && matches!(target, Target::Pool(_)))
            .then(|| connector.defaults())
            .filter(|config| matches!(config.endpoint(), Endpoint::Tcp { .. } | Endpoint::Unix(_)))
            .map(|config| SharedConnection::new(config.clone()));
        Ok(Self {
            target,
            decode: options.decode_responses,
            connector,
            shared,
            runtime,
        })
    }

    /// Sends one command (its arguments as a tuple) and returns the reply;
    /// an error reply raises `ResponseError`.
    fn execute<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = FlatArgs::from_tuple(args)?;
        let frame = run_on(py, &self.runtime, spinning(self.target.cmd(&args)))?;
        reply::to_python(py, &frame, self.decode)
    }

    /// Starts `execute` as asyncio request `id`; its outcome arrives
    /// through `completions`. `True` when the command waits in
    /// `completions`' batch for the shared connection, and the batch was
    /// empty: `completions.flush()` is then due once the loop's turn ends.
    fn submit(
        &self,
        completions: &Completions,
        id: u64,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<bool> {
        let args = FlatArgs::from_tuple(args)?;
        if let Some(flush) = self
            .shared
            .as_ref()
            .and_then(|shared| completions.gather(shared, id, &args))
        {
            return Ok(flush);
        }
        let target = self.target.clone();
        completions.spawn(
            id,
            async move { target.cmd(&args).await.map(Outcome::Reply) },
        )?;
        Ok(false)
    }

    /// Sends `commands` (a list of argument tuples) in one round trip and
    /// returns their replies in order, an error reply as a `ResponseError`
    /// instance in its place. With `transaction`, they run between `MULTI`
    /// and `EXEC`, and the replies are `EXEC`'s (a `WATCH`ed key that
    /// changed raises `WatchError`).
    fn pipeline_execute<'py>(
        &self,
        py: Python<'py>,
        commands: &Bound<'py, PyList>,
        transaction: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let pipeline = build_pipeline(commands, transaction)?;
        let replies = run_on(py, &self.runtime, self.target.pipeline(&pipeline))?;
        pipeline_results(py, &replies, transaction, self.decode)
    }

    /// Starts `pipeline_execute` as asyncio request `id`.
    fn submit_pipeline(
        &self,
        completions: &Completions,
        id: u64,
        commands: &Bound<'_, PyList>,
        transaction: bool,
    ) -> PyResult<()> {
        let pipeline = build_pipeline(commands, transaction)?;
        let target = self.target.clone();
        completions.spawn(id, async move {
            target
                .pipeline(&pipeline)
                .await
                .map(|replies| Outcome::Pipeline(replies, transaction))
        })
    }

    /// Whether it is a cluster client.
    fn is_cluster(&self) -> bool {
        matches!(self.target, Target::Cluster(_))
    }

    /// A client whose requests all go on one connection of this client's
    /// pool, taken on the first request and kept until `close` releases it
    /// (a pipeline's `WATCH` ... `MULTI` ... `EXEC`). A connection left
    /// watching keys or inside `MULTI` is closed, not pooled again.
    fn hold(&self, py: Python<'_>) -> PyResult<Self> {
        let Target::Pool(pool) = &self.target else {
            return Err(PyErr::from_value(errors::instance(
                py,
                "RedisError",
                "WATCH needs one connection: a cluster client has none to hold",
            )?));
        };
        Ok(Self {
            target: Target::Held(pool.clone(), Arc::new(Mutex::new(None))),
            decode: self.decode,
            connector: self.connector.clone(),
            shared: None,
            runtime: self.runtime.clone(),
        })
    }

    /// A pub/sub connection of its own, made on its first subscription.
    fn pubsub(&self) -> crate::pubsub::NativePubSub {
        crate::pubsub::NativePubSub::new(self.connector.clone(), self.decode)
    }

    /// Closes the pooled connections (a pooled client; a cluster client
    /// closes as it is dropped), or releases a held one. Requests after it
    /// open new ones.
    fn close(&self) {
        if let Some(shared) = &self.shared {
            shared.close();
        }
        match &self.target {
            Target::Pool(pool) => pool.invalidate(),
            Target::Held(..) => self.release(),
            Target::Cluster(_) => {}
        }
    }

    /// The pool's counters: `idle`, `in_use`, `created`, … (a pooled
    /// client; `{}` for a cluster client).
    fn pool_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = PyDict::new(py);
        if let Target::Pool(pool) = &self.target {
            let s = pool.stats();
            stats.set_item("idle", s.idle)?;
            stats.set_item("in_use", s.in_use)?;
            stats.set_item("created", s.created)?;
            stats.set_item("reused_without_check", s.reused_without_check)?;
            stats.set_item("validated", s.validated)?;
            stats.set_item("discarded", s.discarded)?;
            stats.set_item("waits", s.waits)?;
            stats.set_item("wait_timeouts", s.wait_timeouts)?;
        }
        Ok(stats)
    }
}
