//! `NativePubSub`: subscriptions on a connection of their own, owned by a
//! task on the shared runtime. (Un)subscribe commands are sent to the task;
//! every frame it reads (confirmations and messages alike) waits in a
//! bounded queue until a reader takes it. A command never waits for a
//! reader, nor a reader for a command.
//!
//! When the connection fails, the reader gets the error once; the next read
//! (or command) connects again and subscribes again to everything the lost
//! connection was subscribed to.

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use redwire::{Connection, Connector, Error, Frame};
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use crate::args::FlatArgs;
use crate::client::run;
use crate::completions::{Completions, Outcome};
use crate::reply;
use crate::runtime::{abandon, generation, runtime};
use redwire::Args;

/// Frames read and not yet taken. Past it the task stops reading, and the
/// server buffers them (up to its `client-output-buffer-limit pubsub`).
const BACKLOG: usize = 1024;

/// A command for the task: connect again if needed (subscribing again to
/// what a lost connection was subscribed to), then send `command` if any.
struct Request {
    command: Option<FlatArgs>,
    done: oneshot::Sender<Result<(), Error>>,
}

/// What the task owns.
struct Session {
    connector: Connector,
    connection: Option<Connection>,
    /// The commands that subscribe again to what a lost connection was
    /// subscribed to.
    resubscribe: Vec<Vec<Vec<u8>>>,
    /// Frames read, waiting for room in the queue.
    ready: VecDeque<Result<Frame, Error>>,
    flags: Arc<Flags>,
}

/// What the task tells the handles.
#[derive(Default)]
struct Flags {
    /// Set while `resubscribe` waits for the next request.
    lost: AtomicBool,
    /// Whether any subscription was asked for and not given up.
    subscribed: AtomicBool,
}

impl Session {
    /// Serves requests and reads frames until every handle is gone or
    /// `stop` changes (a close): then the readers waiting get nothing more
    /// and the connection is dropped.
    async fn serve(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        frames: mpsc::Sender<Result<Frame, Error>>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                request = requests.recv() => {
                    let Some(Request { command, done }) = request else {
                        return;
                    };
                    // A caller that stopped waiting does not stop the command.
                    let _ = done.send(self.run(command.as_ref()).await);
                }
                room = frames.reserve(), if !self.ready.is_empty() => {
                    let Ok(room) = room else {
                        return;
                    };
                    if let Some(frame) = self.ready.pop_front() {
                        room.send(frame);
                    }
                }
                frame = next_frame(&mut self.connection), if self.ready.is_empty() => {
                    if frame.is_err() {
                        self.forget_connection();
                    }
                    self.ready.push_back(frame);
                }
            }
        }
    }

    /// Drops a failed connection, keeping what it was subscribed to.
    fn forget_connection(&mut self) {
        if let Some(lost) = self.connection.take() {
            self.resubscribe = lost.resubscriptions();
            self.flags
                .lost
                .store(!self.resubscribe.is_empty(), Ordering::Release);
        }
    }

    /// Connects again if needed (subscribing again), then sends `command`;
    /// the confirmations are read as they come, among the messages.
    async fn run(&mut self, command: Option<&FlatArgs>) -> Result<(), Error> {
        if self.connection.as_ref().is_some_and(Connection::is_broken) {
            self.forget_connection();
        }
        let connection = match &mut self.connection {
            Some(connection) => connection,
            slot @ None => {
                let mut fresh = self.connector.connect().await?;
                // Messages come when they come.
                fresh.set_read_timeout(None);
                // Kept until every one is sent: a failure part-way loses none.
                for again in &self.resubscribe {
                    fresh.send_subscription(again).await?;
                }
                self.resubscribe.clear();
                self.flags.lost.store(false, Ordering::Release);
                slot.insert(fresh)
            }
        };
        if let Some(command) = command {
            connection.send_subscription(command).await?;
        }
        self.flags
            .subscribed
            .store(!connection.resubscriptions().is_empty(), Ordering::Release);
        Ok(())
    }
}

/// The next frame of the connection; with none, never.
async fn next_frame(connection: &mut Option<Connection>) -> Result<Frame, Error> {
    match connection {
        Some(connection) => connection.read().await,
        None => std::future::pending().await,
    }
}

/// A handle on a running task.
#[derive(Clone)]
struct Link {
    /// The fork generation the task was started in.
    generation: u64,
    requests: mpsc::Sender<Request>,
    frames: Arc<Mutex<mpsc::Receiver<Result<Frame, Error>>>>,
    flags: Arc<Flags>,
    /// Set (to `true`) by a close: the task stops.
    stop: Arc<watch::Sender<bool>>,
}

impl Link {
    /// Starts a task with no connection yet. With `lost` subscriptions (a
    /// parent's, in a forked child), the first read says the connection
    /// was lost, and the next connects and subscribes again to them.
    fn start(connector: Connector, lost: Vec<Vec<Vec<u8>>>) -> PyResult<Self> {
        let (requests, requested) = mpsc::channel(16);
        let (frames, queued) = mpsc::channel(BACKLOG);
        let (stop, stopped) = watch::channel(false);
        let flags = Arc::new(Flags::default());
        let mut ready = VecDeque::new();
        if !lost.is_empty() {
            ready.push_back(Err(Error::Io {
                phase: redwire::Phase::Read,
                endpoint: connector.defaults().endpoint().to_string(),
                source: std::io::Error::other(
                    "the subscriptions' connection was the parent's (the process forked)",
                ),
            }));
            flags.lost.store(true, Ordering::Release);
            flags.subscribed.store(true, Ordering::Release);
        }
        let session = Session {
            connector,
            connection: None,
            resubscribe: lost,
            ready,
            flags: flags.clone(),
        };
        drop(runtime()?.spawn(session.serve(requested, frames, stopped)));
        Ok(Self {
            generation: generation(),
            requests,
            frames: Arc::new(Mutex::new(queued)),
            flags,
            stop: Arc::new(stop),
        })
    }

    /// Has the task run `command` (see [`Request`]).
    async fn request(&self, command: Option<FlatArgs>) -> Result<(), Error> {
        let (done, outcome) = oneshot::channel();
        let closed = || Error::Closed {
            endpoint: "pub/sub".to_owned(),
        };
        self.requests
            .send(Request { command, done })
            .await
            .map_err(|_| closed())?;
        outcome.await.map_err(|_| closed())?
    }

    /// The next frame, or `None` when none comes within `wait`; after a
    /// failure, connects and subscribes again first.
    async fn next(&self, wait: Option<Duration>) -> Result<Option<Frame>, Error> {
        if self.flags.lost.load(Ordering::Acquire) {
            self.request(None).await?;
        }
        let take = async { self.frames.lock().await.recv().await.transpose() };
        match wait {
            Some(wait) => tokio::time::timeout(wait, take).await.unwrap_or(Ok(None)),
            None => take.await,
        }
    }
}

/// `timeout` seconds: `None` or infinity wait for a message; a negative
/// one does not wait; one that is no number (NaN) is refused.
fn wait(py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<Duration>> {
    match timeout {
        None => Ok(None),
        Some(s) if s.is_nan() => Err(PyErr::from_value(crate::errors::instance(
            py,
            "DataError",
            "timeout must be a number of seconds or None, got nan",
        )?)),
        Some(s) => Ok(Duration::try_from_secs_f64(s.max(0.0)).ok()),
    }
}

/// A pub/sub connection: (un)subscribe commands and the frames that
/// arrive, read with a timeout; each also as an asyncio awaitable.
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct NativePubSub {
    connector: Connector,
    decode: bool,
    link: std::sync::Mutex<Option<Link>>,
    /// What the commands sent asked to be subscribed to, by family
    /// (channels, patterns, shard channels): to subscribe again in a
    /// forked child, whose parent's task and connection it cannot use.
    asked: std::sync::Mutex<[BTreeSet<Vec<u8>>; 3]>,
}

/// The (un)subscribe commands, by family.
const FAMILIES: [(&str, &str); 3] = [
    ("SUBSCRIBE", "UNSUBSCRIBE"),
    ("PSUBSCRIBE", "PUNSUBSCRIBE"),
    ("SSUBSCRIBE", "SUNSUBSCRIBE"),
];

impl NativePubSub {
    pub(crate) fn new(connector: Connector, decode: bool) -> Self {
        Self {
            connector,
            decode,
            link: std::sync::Mutex::new(None),
            asked: std::sync::Mutex::default(),
        }
    }

    /// The running task, started on first use; in a forked child, started
    /// again (the parent's abandoned), to subscribe again to what was asked.
    fn link(&self) -> PyResult<Link> {
        let mut link = self.link.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = link.as_ref() {
            if running.generation == generation() {
                return Ok(running.clone());
            }
        }
        let lost = match link.take() {
            Some(parents) => {
                abandon(parents);
                self.resubscriptions()
            }
            None => Vec::new(),
        };
        Ok(link
            .insert(Link::start(self.connector.clone(), lost)?)
            .clone())
    }

    /// Notes what an (un)subscribe command asks for.
    fn note(&self, args: &FlatArgs) {
        let mut words = Vec::new();
        args.for_each_arg(&mut |word| words.push(word.to_vec()));
        let Some((name, names)) = words.split_first() else {
            return;
        };
        let names = names.to_vec();
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        for ((subscribe, unsubscribe), family) in FAMILIES.iter().zip(asked.iter_mut()) {
            if subscribe.as_bytes().eq_ignore_ascii_case(name) {
                family.extend(names);
                return;
            }
            if unsubscribe.as_bytes().eq_ignore_ascii_case(name) {
                if names.is_empty() {
                    family.clear();
                }
                for name in &names {
                    family.remove(name);
                }
                return;
            }
        }
    }

    /// The commands that subscribe again to what was asked.
    fn resubscriptions(&self) -> Vec<Vec<Vec<u8>>> {
        let asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        FAMILIES
            .iter()
            .zip(asked.iter())
            .filter(|(_, names)| !names.is_empty())
            .map(|((subscribe, _), names)| {
                std::iter::once(subscribe.as_bytes().to_vec())
                    .chain(names.iter().cloned())
                    .collect()
            })
            .collect()
    }
}

/// In a forked child, leaves the parent's task as it is (see `runtime`).
impl Drop for NativePubSub {
    fn drop(&mut self) {
        let link = self
            .link
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(link) = link.filter(|link| link.generation != generation()) {
            abandon(link);
        }
    }
}

#[pymethods]
impl NativePubSub {
    /// Sends a (un)subscribe command (connecting first if needed); its
    /// confirmations are read as messages.
    fn execute(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let args = FlatArgs::from_tuple(args)?;
        let link = self.link()?;
        self.note(&args);
        run(py, link.request(Some(args)))
    }

    /// Starts `execute` as asyncio request `id` (its outcome: `None`).
    fn submit(
        &self,
        completions: &Completions,
        id: u64,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let args = FlatArgs::from_tuple(args)?;
        let link = self.link()?;
        self.note(&args);
        completions.spawn(id, None, async move {
            link.request(Some(args))
                .await
                .map(|()| Outcome::Message(None))
        })
    }

    /// The next message as a list (`[b"message", channel, data]`, …), or
    /// `None` when none arrives within `timeout` seconds (`None`: wait).
    #[pyo3(signature = (timeout=None))]
    fn get_message<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let wait = wait(py, timeout)?;
        let link = self.link()?;
        let frame = run(py, link.next(wait))?;
        frame
            .map(|f| reply::to_python(py, &f, self.decode))
            .transpose()
    }

    /// Starts `get_message` as asyncio request `id`.
    #[pyo3(signature = (completions, id, timeout=None))]
    fn submit_message(
        &self,
        py: Python<'_>,
        completions: &Completions,
        id: u64,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let wait = wait(py, timeout)?;
        let link = self.link()?;
        completions.spawn(id, None, async move {
            link.next(wait).await.map(Outcome::Message)
        })
    }

    /// Whether a subscription was asked for and not given up (whatever
    /// the confirmations read so far say).
    fn subscribed(&self) -> bool {
        self.link
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|link| link.flags.subscribed.load(Ordering::Acquire))
    }

    /// Closes the connection and forgets the subscriptions (a later
    /// subscription opens another connection); a read waiting returns
    /// `None`. Never waits.
    fn close(&self) {
        let link = self
            .link
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match link {
            // A parent's (in a forked child): left as it is.
            Some(link) if link.generation != generation() => abandon(link),
            Some(link) => {
                link.stop.send_replace(true);
            }
            None => {}
        }
        *self.asked.lock().unwrap_or_else(PoisonError::into_inner) = Default::default();
    }
}
