//! `NativeClient`: requests on a core `Client` (one server, a sentinel set
//! or a cluster), with the GIL released while they wait.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use redwire::{
    spinning, Client, ClientOptions, Cluster, ClusterScan, Commands, Connector, Error, Execute,
    Frame, Pipeline, PooledConnection, SharedConnection, SPIN,
};

use crate::args::FlatArgs;
use crate::completions::{Completions, Outcome};
use crate::errors;
use crate::options::Options;
use crate::reply;
use crate::runtime::{abandon, calling_threads, generation, runtime};
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::Mutex;

/// How long a sync call waits on the network before it looks for a signal
/// (Ctrl-C) that Python should raise.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// A client: a `redwire::Client` (one server, direct or found through
/// sentinels, or a cluster), which routes each request.
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct NativeClient {
    /// What it is made from, to be made again in a forked child.
    options: Options,
    asyncio: bool,
    /// Whether its requests all go on one pooled connection (see `hold`).
    held: bool,
    /// What it is made of in this process (`None` only while dropped).
    parts: RwLock<Option<Arc<Parts>>>,
}

/// What a client is made of: made once per process (see `runtime`).
struct Parts {
    /// The fork generation it was made in.
    generation: u64,
    client: Client,
    /// A held client's connection (see `hold`): taken on its first request
    /// and kept until released.
    held: Option<Mutex<Option<PooledConnection>>>,
    /// For pub/sub connections of their own.
    connector: Connector,
    /// Where the requests run.
    runtime: Arc<Runtime>,
}

impl Parts {
    /// Makes the parts of a client with `options`: with `asyncio`, on the
    /// shared runtime, else on a runtime of its own; `held`, to keep one
    /// pooled connection for every request. No I/O: it connects on first
    /// use.
    fn make(py: Python<'_>, options: &Options, asyncio: bool, held: bool) -> PyResult<Self> {
        let runtime = if asyncio {
            runtime()?
        } else {
            calling_threads()?
        };
        let mut client_options = ClientOptions::default()
            .pool(options.pool.clone())
            .read_from_replicas(options.read_from_replicas);
        client_options.cache.clone_from(&options.cache);
        let client = {
            let _runtime = runtime.enter();
            Client::lazy(options.config.clone(), client_options)
                .map_err(|e| errors::to_pyerr(py, &e))?
        };
        Ok(Self {
            generation: generation(),
            client,
            held: held.then(|| Mutex::new(None)),
            connector: Connector::new(options.config.clone()),
            runtime,
        })
    }

    /// The shared connection its requests may go on (none for a held
    /// client's).
    fn shared(&self) -> Option<&SharedConnection> {
        self.held
            .is_none()
            .then(|| self.client.shared_connection())
            .flatten()
    }

    /// Runs `request` (see `run_on`). One a signal interrupts lets the
    /// shared connection go if it read nothing since the request was made
    /// and a reply has been due a while: a peer gone silent
    /// (`SharedConnection::close_if_stalled`); a pooled connection goes
    /// with the dropped request.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        request: impl Future<Output = Result<T, Error>> + Send,
    ) -> PyResult<T> {
        let made = Instant::now();
        run_on(py, &self.runtime, request, || {
            if let Some(shared) = self.shared() {
                let _inside = self.runtime.enter();
                shared.close_if_stalled(made);
            }
        })
    }

    /// Runs one command: on the held connection, or where the client
    /// routes it.
    async fn cmd(&self, args: &FlatArgs) -> Result<Frame, Error> {
        let Some(held) = &self.held else {
            return self.client.query(args).await;
        };
        let written = self.client.cache().map(|cache| {
            let mut one = Pipeline::new();
            one.cmd(args);
            (cache, one)
        });
        let forget = || {
            if let Some((cache, one)) = &written {
                cache.forget_written(one);
            }
        };
        forget();
        let reply = match &mut *held.lock().await {
            Some(connection) => connection.cmd(args).await,
            slot @ None => {
                slot.insert(self.client.connection(b"").await?)
                    .cmd(args)
                    .await
            }
        };
        forget();
        reply
    }

    /// A cluster client's cluster, its topology read first if it was not
    /// yet (a client of one server: checked by `cluster_parts` before).
    async fn ready_cluster(&self) -> Result<Cluster, Error> {
        self.client.reach_cluster().await?.cloned().ok_or_else(|| {
            redwire::ConfigError::Invalid {
                field: "client",
                rule: "a cluster client",
                value: "a client of one server".to_owned(),
            }
            .into()
        })
    }

    /// Runs `pipeline`'s commands (see `cmd`).
    async fn pipeline(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        if pipeline.is_empty() {
            return Ok(Vec::new());
        }
        let Some(held) = &self.held else {
            return (&self.client).send(pipeline).await;
        };
        // Its writes' invalidations come on the shared connection, not
        // before their replies: dropped from the cache here.
        let forget = || {
            if let Some(cache) = self.client.cache() {
                cache.forget_written(pipeline);
            }
        };
        forget();
        let replies = match &mut *held.lock().await {
            Some(connection) => connection.pipeline(pipeline).await,
            slot @ None => {
                let connection = slot.insert(self.client.connection(b"").await?);
                connection.pipeline(pipeline).await
            }
        };
        forget();
        replies
    }
}

/// What a pipeline's replies come back as.
pub(crate) type Replies = Vec<Result<Frame, redwire::ServerError>>;

/// Runs `request` on the shared runtime with the GIL released.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    request: impl Future<Output = Result<T, Error>> + Send,
) -> PyResult<T> {
    run_on(py, &*runtime()?, request, || {})
}

/// Runs `request` on `runtime` with the GIL released. A signal (Ctrl-C)
/// raises its exception within [`SIGNAL_CHECK`]: the request is dropped
/// (and with it a connection of its own), after `interrupted` ran.
fn run_on<T: Send>(
    py: Python<'_>,
    runtime: &Runtime,
    request: impl Future<Output = Result<T, Error>> + Send,
    interrupted: impl FnOnce(),
) -> PyResult<T> {
    let mut request = std::pin::pin!(request);
    loop {
        let waited = py.detach(|| {
            // The timer is made inside: it needs the runtime's context.
            runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK, request.as_mut()).await })
        });
        match waited {
            Ok(outcome) => return outcome.map_err(|e| errors::to_pyerr(py, &e)),
            Err(_) => {
                if let Err(signal) = py.check_signals() {
                    interrupted();
                    return Err(signal);
                }
            }
        }
    }
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
    /// What the client is made of in this process: made again, the
    /// parent's abandoned, when the process forked since they were made.
    fn parts(&self) -> PyResult<Arc<Parts>> {
        let now = generation();
        if let Some(parts) = self
            .parts
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            if parts.generation == now {
                return Ok(parts.clone());
            }
        }
        let mut parts = self.parts.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(current) = parts.as_ref().filter(|p| p.generation == now) {
            return Ok(current.clone());
        }
        let fresh = Python::attach(|py| Parts::make(py, &self.options, self.asyncio, self.held))?;
        let fresh = Arc::new(fresh);
        if let Some(parents) = parts.replace(fresh.clone()) {
            abandon(parents);
        }
        Ok(fresh)
    }

    /// Its parts, for a cluster client; a client of one server raises
    /// `RedisClusterException`.
    fn cluster_parts(&self, py: Python<'_>) -> PyResult<Arc<Parts>> {
        let parts = self.parts()?;
        if !parts.client.is_cluster() {
            return Err(PyErr::from_value(errors::instance(
                py,
                "RedisClusterException",
                "not a cluster client",
            )?));
        }
        Ok(parts)
    }

    /// Its cluster, the topology read first if it was not yet (waiting
    /// for it: an asyncio client's first use of a node list blocks).
    fn cluster(&self, py: Python<'_>) -> PyResult<(Arc<Parts>, Cluster)> {
        let parts = self.cluster_parts(py)?;
        let cluster = parts.run(py, parts.ready_cluster())?;
        Ok((parts, cluster))
    }

    /// Gives a held connection back to its pool (or closes it, if it is
    /// watching keys or inside `MULTI`), on the runtime that made it. A
    /// request still running keeps it: it goes back as that request ends.
    fn release(parts: &Parts) {
        if let Some(held) = &parts.held {
            let _inside = parts.runtime.enter();
            if let Ok(mut held) = held.try_lock() {
                held.take();
            }
        }
    }
}

/// Releases a held connection; in a forked child, leaves the parent's
/// parts as they are (see `runtime`).
impl Drop for NativeClient {
    fn drop(&mut self) {
        let parts = self
            .parts
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match parts {
            Some(parts) if parts.generation != generation() => abandon(parts),
            Some(parts) => Self::release(&parts),
            None => {}
        }
    }
}

#[pymethods]
impl NativeClient {
    /// A client from the options (see `redwire.Client`); a sync cluster
    /// client connects at once, the others on first use.
    /// With `asyncio`, requests run on the shared runtime's threads (see
    /// `Completions`); else on a runtime of the client's own, driven by the
    /// calling threads.
    #[new]
    #[pyo3(signature = (options, asyncio=false))]
    fn new(py: Python<'_>, options: &Bound<'_, PyDict>, asyncio: bool) -> PyResult<Self> {
        let options = Options::from_dict(py, options)?;
        let parts = Parts::make(py, &options, asyncio, false)?;
        // A sync cluster client reads its topology now (an asyncio one's
        // would block the event loop): a wrong seed fails here.
        if !asyncio && parts.client.is_cluster() {
            run_on(
                py,
                &parts.runtime,
                parts.client.query::<Frame>("PING"),
                || {},
            )?;
        }
        Ok(Self {
            options,
            asyncio,
            held: false,
            parts: RwLock::new(Some(Arc::new(parts))),
        })
    }

    /// Sends one command (its arguments as a tuple) and returns the reply
    /// (never decoded with `raw`); an error reply raises `ResponseError`.
    #[pyo3(signature = (args, raw=false))]
    fn execute<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        raw: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = FlatArgs::from_tuple(args)?;
        let parts = self.parts()?;
        let frame = parts.run(py, spinning(parts.cmd(&args), SPIN))?;
        reply::to_python(py, &frame, self.options.decode_responses && !raw)
    }

    /// Starts `execute` as asyncio request `id`; its outcome arrives
    /// through `completions`. `True` when the command waits in
    /// `completions`' batch for the client's shared connection, and the
    /// batch was empty: `completions.flush()` is then due once the loop's
    /// turn ends.
    /// A `raw` reply is never decoded.
    #[pyo3(signature = (completions, id, args, raw=false))]
    fn submit(
        &self,
        completions: &Completions,
        id: u64,
        args: &Bound<'_, PyTuple>,
        raw: bool,
    ) -> PyResult<bool> {
        let args = FlatArgs::from_tuple(args)?;
        let parts = self.parts()?;
        if raw {
            let shared = parts.shared().cloned();
            completions.spawn(id, shared.as_ref(), async move {
                parts.cmd(&args).await.map(Outcome::Raw)
            })?;
            return Ok(false);
        }
        if parts.held.is_none() {
            if let Some(flush) = parts
                .client
                .shared_connection()
                .and_then(|shared| completions.gather(shared, id, &args))
            {
                return Ok(flush);
            }
        }
        let shared = parts.shared().cloned();
        completions.spawn(id, shared.as_ref(), async move {
            parts.cmd(&args).await.map(Outcome::Reply)
        })?;
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
        let parts = self.parts()?;
        let replies = parts.run(py, parts.pipeline(&pipeline))?;
        pipeline_results(py, &replies, transaction, self.options.decode_responses)
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
        let parts = self.parts()?;
        let shared = parts.shared().cloned();
        completions.spawn(id, shared.as_ref(), async move {
            parts
                .pipeline(&pipeline)
                .await
                .map(|replies| Outcome::Pipeline(replies, transaction))
        })
    }

    /// Whether its replies are decoded (its options resolved: a URL's
    /// query, a pool's, the keywords).
    #[getter]
    fn decode_responses(&self) -> bool {
        self.options.decode_responses
    }

    /// Whether it is a cluster client.
    fn is_cluster(&self) -> PyResult<bool> {
        Ok(self.parts()?.client.is_cluster())
    }

    /// A client whose requests all go on one connection of this client's
    /// pool, taken on the first request and kept until `close` releases it
    /// (a pipeline's `WATCH` ... `MULTI` ... `EXEC`). A connection left
    /// watching keys or inside `MULTI` is closed, not pooled again.
    fn hold(&self, py: Python<'_>) -> PyResult<Self> {
        let parts = self.parts()?;
        if parts.client.is_cluster() {
            return Err(PyErr::from_value(errors::instance(
                py,
                "RedisError",
                "WATCH needs one connection: a cluster client has none to hold",
            )?));
        }
        let held = Parts {
            generation: parts.generation,
            client: parts.client.clone(),
            held: Some(Mutex::new(None)),
            connector: parts.connector.clone(),
            runtime: parts.runtime.clone(),
        };
        Ok(Self {
            options: self.options.clone(),
            asyncio: self.asyncio,
            held: true,
            parts: RwLock::new(Some(Arc::new(held))),
        })
    }

    /// A cluster's nodes as its slot map names them now (`host:port`):
    /// `(masters, replicas)`.
    fn nodes(&self, py: Python<'_>) -> PyResult<(Vec<String>, Vec<String>)> {
        let (_, cluster) = self.cluster(py)?;
        Ok((cluster.masters(), cluster.replicas()))
    }

    /// Sends one command to the cluster node `node` (`host:port`) as it
    /// is (see `redwire::Cluster::cmd_on`) and returns the reply.
    fn execute_on<'py>(
        &self,
        py: Python<'py>,
        node: &str,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = FlatArgs::from_tuple(args)?;
        let (parts, cluster) = self.cluster(py)?;
        let frame = parts.run(py, cluster.cmd_on(node, &args))?;
        reply::to_python(py, &frame, self.options.decode_responses)
    }

    /// Starts `execute_on` as asyncio request `id` (the topology read
    /// first, on the runtime, if it was not yet).
    fn submit_on(
        &self,
        py: Python<'_>,
        completions: &Completions,
        id: u64,
        node: String,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let args = FlatArgs::from_tuple(args)?;
        let parts = self.cluster_parts(py)?;
        completions.spawn(id, None, async move {
            let cluster = parts.ready_cluster().await?;
            cluster.cmd_on(&node, &args).await.map(Outcome::Reply)
        })
    }

    /// A walk over every key of the cluster with `SCAN` and its options
    /// (`MATCH`, `COUNT`, `TYPE`), as `redwire::Cluster::scan` walks it.
    fn scan(&self, py: Python<'_>, options: &Bound<'_, PyTuple>) -> PyResult<NativeScan> {
        let mut options_args = FlatArgs::default();
        if !options.is_empty() {
            options_args.fill(options)?;
        }
        let options = options_args;
        let (parts, cluster) = self.cluster(py)?;
        Ok(NativeScan {
            parts,
            scan: Arc::new(Mutex::new(cluster.scan(&options))),
            decode: self.options.decode_responses,
        })
    }

    /// A pub/sub (or `MONITOR`) connection of its own, made on its first
    /// subscription; a cluster client's to its first master (channels and
    /// patterns reach every node from any).
    fn pubsub(&self, py: Python<'_>) -> PyResult<crate::pubsub::NativePubSub> {
        let parts = self.parts()?;
        let connector = if parts.client.is_cluster() {
            let (_, cluster) = self.cluster(py)?;
            let master = cluster.masters().into_iter().next().unwrap_or_default();
            Connector::new(
                cluster
                    .node_config(&master)
                    .map_err(|e| errors::to_pyerr(py, &e))?,
            )
        } else {
            parts.connector.clone()
        };
        Ok(crate::pubsub::NativePubSub::new(
            connector,
            self.options.decode_responses,
        ))
    }

    /// Lets the client's connections go (see `redwire::Client::close`), or
    /// releases a held one. Requests after it open new ones.
    fn close(&self) -> PyResult<()> {
        let parts = self.parts()?;
        if parts.held.is_some() {
            Self::release(&parts);
        } else {
            let _inside = parts.runtime.enter();
            parts.client.close();
        }
        Ok(())
    }

    /// Its cache's counters (`hits`, `misses`, `invalidations`,
    /// `evictions`, `flushes`, `entries`, `bytes`), or `None` without a
    /// cache.
    fn cache_stats<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let parts = self.parts()?;
        let Some(cache) = parts.client.cache() else {
            return Ok(None);
        };
        let stats = PyDict::new(py);
        for (name, value) in cache.stats().by_name() {
            stats.set_item(name, value)?;
        }
        Ok(Some(stats))
    }

    /// Empties its cache: how many replies it held.
    fn cache_flush(&self) -> PyResult<u64> {
        let parts = self.parts()?;
        Ok(parts.client.cache().map_or(0, |cache| {
            let held = cache.stats().entries;
            cache.flush();
            held
        }))
    }

    /// Drops from its cache the replies that read any of `keys`: for each,
    /// whether it had any (or a read of it under way).
    fn cache_invalidate(&self, keys: Vec<Vec<u8>>) -> PyResult<Vec<bool>> {
        let parts = self.parts()?;
        let Some(cache) = parts.client.cache() else {
            return Ok(vec![false; keys.len()]);
        };
        Ok(keys
            .into_iter()
            .map(|key| cache.invalidate([key.as_slice()]) > 0)
            .collect())
    }

    /// The pools' counters: `idle`, `in_use`, `created`, … (summed over a
    /// cluster's nodes).
    fn pool_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = PyDict::new(py);
        let s = self.parts()?.client.stats().pool;
        stats.set_item("idle", s.idle)?;
        stats.set_item("in_use", s.in_use)?;
        stats.set_item("created", s.created)?;
        stats.set_item("reused_without_check", s.reused_without_check)?;
        stats.set_item("validated", s.validated)?;
        stats.set_item("discarded", s.discarded)?;
        stats.set_item("waits", s.waits)?;
        stats.set_item("wait_timeouts", s.wait_timeouts)?;
        Ok(stats)
    }
}

/// A walk over a cluster's keys (`NativeClient.scan`).
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct NativeScan {
    parts: Arc<Parts>,
    scan: Arc<Mutex<ClusterScan>>,
    decode: bool,
}

#[pymethods]
impl NativeScan {
    /// The next batch of keys (a list, maybe empty), or `None` once every
    /// master was walked.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let scan = self.scan.clone();
        let batch = self
            .parts
            .run(py, async move { scan.lock().await.next_batch().await })?;
        let Some(keys) = batch else {
            return Ok(None);
        };
        let list = PyList::empty(py);
        for key in keys {
            list.append(reply::to_python(py, &Frame::BulkString(key), self.decode)?)?;
        }
        Ok(Some(list))
    }

    /// Starts `next_batch` as asyncio request `id`: its outcome the keys'
    /// list, or `None`.
    fn submit(&self, completions: &Completions, id: u64) -> PyResult<()> {
        let scan = self.scan.clone();
        completions.spawn(id, None, async move {
            let batch = scan.lock().await.next_batch().await?;
            Ok(Outcome::Reply(batch.map_or(Frame::Null, |keys| {
                Frame::Array(keys.into_iter().map(Frame::BulkString).collect())
            })))
        })
    }
}

/// The hash slot of `key` (`CLUSTER KEYSLOT`), computed here.
#[pyfunction]
pub(crate) fn keyslot(key: &[u8]) -> u16 {
    redwire::key_slot(key)
}
