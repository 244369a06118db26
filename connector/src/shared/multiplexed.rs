//! One connection shared by many callers at once: each caller's commands
//! are written contiguously, in the order callers queue them (requests that
//! queue up during a write go together in the next write), and the replies
//! are handed back in the same order. A task owns the connection; it stops
//! when the connection fails (failing what waits) or every handle is gone.
//!
//! The requests queued or awaiting their replies are bounded by
//! [`MAX_QUEUED`]: past it, an async caller waits for room, and a submitted
//! request is refused with [`Error::QueueFull`].

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use redwire_resp::Frame;
use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};

use crate::cache::Cache;
use crate::command::pipeline::Pipeline;
use crate::config::{Endpoint, Role};
use crate::connection::{error_message, Connection, Replies};
use crate::discovery::Connector;
use crate::error::{Error, Phase, ServerError};

/// At most this many requests (a command, a pipeline or a batch each) are
/// queued on one shared connection or awaiting their replies.
pub const MAX_QUEUED: usize = 16 * 1024;

/// At most this many bytes go in one write.
const WRITE_BATCH: usize = 256 * 1024;

/// How long a connection no handle is left on waits for the replies due,
/// when the configuration sets no read timeout: then the requests still
/// waiting get [`Error::Timeout`], and it closes.
pub(crate) const LET_GO_WAIT: Duration = Duration::from_secs(30);

/// A handle on a shared connection; see the module docs.
#[derive(Debug)]
pub(crate) struct Multiplexed {
    requests: mpsc::UnboundedSender<Request>,
    /// One per request queued or awaiting replies (see [`MAX_QUEUED`]).
    room: Arc<Semaphore>,
    endpoint: String,
    signals: Arc<Signals>,
}

/// What a connection's task and its handles tell each other.
#[derive(Debug)]
struct Signals {
    /// When the connection was made; the instants below count from it, on
    /// the system's clock (compared with callers' instants).
    epoch: std::time::Instant,
    /// When the last frame was read (or the connection made);
    /// [`NOTHING_DUE`] while connecting.
    last_read: AtomicU64,
    /// Since when a reply has been due with nothing read (from the write,
    /// or the last reply, since none was due); [`NOTHING_DUE`] when none.
    awaited: AtomicU64,
    /// A handle let the connection go: requests not written yet go on the
    /// next one.
    let_go: Notify,
    /// The cache its connection tracks keys for: it applies the
    /// invalidations read, and is flushed when the connection is let go or
    /// ends (nothing tells it of changes any more).
    cache: Option<Arc<Cache>>,
}

/// [`Signals::awaited`] while no reply is due.
const NOTHING_DUE: u64 = u64::MAX;

impl Signals {
    /// Now, counted from `epoch`.
    fn now(&self) -> u64 {
        self.since_epoch(std::time::Instant::now())
    }

    /// `at`, counted from `epoch`.
    fn since_epoch(&self, at: std::time::Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos())
            .unwrap_or(NOTHING_DUE - 1)
    }

    fn instant(&self, value: &AtomicU64) -> Option<std::time::Instant> {
        match value.load(Ordering::Relaxed) {
            NOTHING_DUE => None,
            nanos => self.epoch.checked_add(Duration::from_nanos(nanos)),
        }
    }
}

struct Request {
    bytes: Bytes,
    replies: usize,
    respond: Respond,
    /// Its place among the [`MAX_QUEUED`], given back with its replies.
    place: OwnedSemaphorePermit,
}

/// Where a request's replies go.
pub(crate) enum Respond {
    /// To a caller awaiting them.
    Waiting(oneshot::Sender<Result<Replies, Error>>),
    /// To a function, called on the connection's task.
    Call(Call),
}

impl Respond {
    pub(crate) fn send(self, replies: Result<Replies, Error>) {
        match self {
            // The caller may have given up: its replies go nowhere.
            Self::Waiting(caller) => drop(caller.send(replies)),
            Self::Call(mut call) => {
                if let Some(call) = call.function.take() {
                    call(replies);
                }
            }
        }
    }
}

/// A function that gets a request's replies. Dropped without being called
/// (a request lost as the connection's task stopped), it is called with
/// [`Error::Closed`] when the request was never written, else
/// [`Error::Broken`] (it may have run), so that no caller waits for ever.
pub(crate) struct Call {
    function: Option<Callback>,
    endpoint: String,
    written: bool,
}

/// What [`Call`] holds.
type Callback = Box<dyn FnOnce(Result<Replies, Error>) + Send>;

impl Call {
    pub(crate) fn new(
        endpoint: String,
        call: impl FnOnce(Result<Replies, Error>) + Send + 'static,
    ) -> Self {
        Self {
            function: Some(Box::new(call)),
            endpoint,
            written: false,
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if let Some(call) = self.function.take() {
            let endpoint = std::mem::take(&mut self.endpoint);
            call(Err(if self.written {
                Error::Broken { endpoint }
            } else {
                Error::Closed { endpoint }
            }));
        }
    }
}

/// A written request whose replies are being read.
struct Waiting {
    expected: usize,
    replies: Replies,
    respond: Respond,
    _place: OwnedSemaphorePermit,
}

impl Multiplexed {
    /// Starts the task that connects through `connector`, then owns the
    /// connection; requests queue meanwhile, in order (a failed connect
    /// fails them). Outside a tokio runtime: [`Error::NoRuntime`]. With a
    /// `cache`, the connection tracks keys for it (its handshake turned
    /// tracking on).
    pub(crate) fn start(connector: Connector, cache: Option<Arc<Cache>>) -> Result<Self, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let endpoint = connector.defaults().endpoint().to_string();
        let (requests, queued) = mpsc::unbounded_channel();
        let signals = Arc::new(Signals {
            epoch: std::time::Instant::now(),
            last_read: AtomicU64::new(NOTHING_DUE),
            awaited: AtomicU64::new(NOTHING_DUE),
            let_go: Notify::new(),
            cache,
        });
        drop(runtime.spawn(connect_and_drive(connector, queued, signals.clone())));
        Ok(Self {
            requests,
            room: Arc::new(Semaphore::new(MAX_QUEUED)),
            endpoint,
            signals,
        })
    }

    /// When the connection last read a frame (or was made); `None` while
    /// it connects.
    pub(crate) fn last_read(&self) -> Option<std::time::Instant> {
        self.signals.instant(&self.signals.last_read)
    }

    /// Since when a reply has been due with nothing read; `None` when no
    /// reply is due.
    pub(crate) fn awaited_since(&self) -> Option<std::time::Instant> {
        self.signals.instant(&self.signals.awaited)
    }

    /// Takes no more requests: those queued and not written yet get
    /// [`Error::Closed`] (they may go on another connection); the replies
    /// due are still read, for at most the read timeout or
    /// [`LET_GO_WAIT`].
    pub(crate) fn let_go(&self) {
        self.signals.let_go.notify_one();
        // What it tracked is no longer followed.
        if let Some(cache) = &self.signals.cache {
            cache.flush();
        }
    }

    /// Whether the connection failed (its task stopped), or no longer takes
    /// requests (a server found through sentinels is no longer the one
    /// asked for: see `connect_and_drive`).
    pub(crate) fn is_closed(&self) -> bool {
        self.requests.is_closed()
    }

    /// Sends every command of `pipeline` (checked, not empty) and waits for
    /// their replies, as [`Connection::pipeline`] does; first for room in the
    /// queue when it is full. Dropping the future abandons the replies only:
    /// other callers' replies are not affected.
    pub(crate) async fn pipeline(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        let place = self
            .room
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| self.closed())?;
        let (respond, replies) = oneshot::channel();
        let request = Request {
            bytes: Bytes::copy_from_slice(pipeline.bytes()),
            replies: pipeline.len(),
            respond: Respond::Waiting(respond),
            place,
        };
        // Not queued: nothing was sent.
        self.requests.send(request).map_err(|_| self.closed())?;
        replies.await.unwrap_or_else(|_| {
            Err(Error::Broken {
                endpoint: self.endpoint.clone(),
            })
        })
    }

    /// Queues `bytes` (`replies` commands, already checked) without
    /// waiting, after the requests queued before it; `call` gets the
    /// replies, or at once [`Error::QueueFull`] when the queue is full.
    pub(crate) fn submit(
        &self,
        bytes: Bytes,
        replies: usize,
        call: impl FnOnce(Result<Replies, Error>) + Send + 'static,
    ) {
        let Ok(place) = self.room.clone().try_acquire_owned() else {
            return call(Err(Error::QueueFull {
                endpoint: self.endpoint.clone(),
            }));
        };
        let respond = Respond::Call(Call::new(self.endpoint.clone(), call));
        let request = Request {
            bytes,
            replies,
            respond,
            place,
        };
        if let Err(unsent) = self.requests.send(request) {
            unsent.0.respond.send(Err(self.closed()));
        }
    }

    /// The error of a request made after the connection's task stopped.
    fn closed(&self) -> Error {
        Error::Closed {
            endpoint: self.endpoint.clone(),
        }
    }
}

/// Connects, then serves the queued requests.
async fn connect_and_drive(
    connector: Connector,
    queued: mpsc::UnboundedReceiver<Request>,
    signals: Arc<Signals>,
) {
    // Found through sentinels, a server answering one of these is no longer
    // the one asked for (a demoted master; a loading server), and
    // connecting again reaches the right one (the master, for a master or
    // any server asked for). A replica asked for answers `READONLY` to a
    // write sent to it: it is still the right one.
    let lost: &[&str] = match connector.defaults().endpoint() {
        Endpoint::Sentinel(sentinel) if sentinel.role == Role::Replica => &["LOADING"],
        Endpoint::Sentinel(_) => &["READONLY", "LOADING"],
        _ => &[],
    };
    match connector.connect().await {
        Ok(connection) => {
            // However the task ends, what its connection tracked is no
            // longer followed (one that never connected tracked nothing).
            let _flush = FlushOnEnd(signals.cache.as_deref());
            // A read timeout bounds the silence of a connection owing
            // replies; else the peer timeout.
            let defaults = connector.defaults();
            let read_timeout = defaults.timeouts().2.or(defaults.get_peer_timeout());
            drive(connection, queued, read_timeout, lost, &signals).await;
        }
        // Nothing was written: each request queued gets the connect error
        // (a copy), not `Closed`, so that none is sent again at once to fail
        // the same way (a wrong password, a host that does not answer).
        Err(e) => {
            let mut queued = queued;
            queued.close();
            while let Ok(request) = queued.try_recv() {
                request.respond.send(Err(e.duplicate()));
            }
        }
    }
}

/// Owns the connection: writes queued requests, reads replies in order.
/// `read_timeout` bounds the silence while a reply is due (from the first
/// write, or the last reply or byte read, since none was due or came):
/// never an idle connection's wait, and new writes do not extend it; it
/// bounds each write too. Once no handle
/// is left, or one let it go, the replies due are waited for at most
/// [`LET_GO_WAIT`] when there is no `read_timeout`.
async fn drive(
    mut connection: Connection,
    mut queued: mpsc::UnboundedReceiver<Request>,
    read_timeout: Option<Duration>,
    lost: &[&str],
    signals: &Signals,
) {
    connection.set_read_timeout(None);
    let endpoint = connection.endpoint().to_owned();
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    let mut out = BytesMut::new();
    // Every handle is gone; the replies still due are read first.
    let mut closing = false;
    // Since when the next reply has been awaited (also in `signals`).
    let mut awaited: Option<tokio::time::Instant> = None;
    // The bytes read when `awaited` was last set: more since is no silence.
    let mut heard = connection.received();
    signals.last_read.store(signals.now(), Ordering::Relaxed);
    let failure = 'serve: loop {
        let limit = read_timeout.or(closing.then_some(LET_GO_WAIT));
        // A timeout too long to reckon (years) is none.
        let deadline = awaited
            .zip(limit)
            .and_then(|(at, after)| Some((at.checked_add(after)?, after)));
        tokio::select! {
            biased;
            // Read even when no reply is due, so a server that closed the
            // idle connection is seen before a request is written to it.
            frame = async {
                match deadline {
                    // `next_frame` is cancel-safe: a timeout loses nothing.
                    Some((at, after)) => match tokio::time::timeout_at(at, connection.next_frame()).await {
                        Ok(frame) => Some(frame),
                        // Part of a reply came meanwhile (a long one on a
                        // slow link): the silence starts again.
                        Err(_) if connection.received() != heard => None,
                        Err(_) => Some(Err(Error::Timeout {
                            phase: Phase::Read,
                            endpoint: endpoint.clone(),
                            after,
                        })),
                    },
                    None => Some(connection.next_frame().await),
                }
            } => match frame {
                None => {
                    heard = connection.received();
                    awaited = Some(tokio::time::Instant::now());
                    signals.awaited.store(signals.now(), Ordering::Relaxed);
                }
                // Nothing here subscribes: a push answers no request (an
                // invalidation goes to the cache).
                Some(Ok(push @ Frame::Push(_))) => {
                    signals.last_read.store(signals.now(), Ordering::Relaxed);
                    invalidate(&push, signals);
                }
                Some(Ok(_)) if waiting.is_empty() => break unasked(connection.endpoint()),
                Some(Ok(frame)) => {
                    // One reading of the clock for the frames of one read.
                    let now = std::time::Instant::now();
                    signals.last_read.store(signals.since_epoch(now), Ordering::Relaxed);
                    answer(frame, &mut waiting, &mut queued, lost, signals);
                    // The rest of the read in one pass. A frame after the
                    // last due is read as any: it answers no request.
                    if !waiting.is_empty() {
                        let rest = connection.buffered_frames(|frame| {
                            answer(frame, &mut waiting, &mut queued, lost, signals);
                            if waiting.is_empty() {
                                ControlFlow::Break(())
                            } else {
                                ControlFlow::Continue(())
                            }
                        });
                        if let Err(e) = rest {
                            break 'serve e;
                        }
                    }
                    if closing && waiting.is_empty() {
                        return;
                    }
                    awaited = (!waiting.is_empty()).then(|| now.into());
                    heard = connection.received();
                    let since = if awaited.is_some() { signals.since_epoch(now) } else { NOTHING_DUE };
                    signals.awaited.store(since, Ordering::Relaxed);
                }
                Some(Err(e)) => break e,
            },
            () = signals.let_go.notified(), if !closing => {
                close_unsent(&mut queued, connection.endpoint());
                if waiting.is_empty() {
                    return;
                }
                closing = true;
            }
            request = queued.recv(), if !closing => {
                let Some(request) = request else {
                    // Every handle is gone: answer what was written, then stop.
                    if waiting.is_empty() {
                        return;
                    }
                    closing = true;
                    continue;
                };
                gather(request, &mut queued, &mut out, &mut waiting).await;
                if awaited.is_none() {
                    // From before the write: a write that does not end is
                    // silence too.
                    awaited = Some(tokio::time::Instant::now());
                    heard = connection.received();
                    signals.awaited.store(signals.now(), Ordering::Relaxed);
                }
                if let Err(e) = write_within(&mut connection, &out, limit).await {
                    break e;
                }
            }
        }
    };
    tracing::debug!(error = %failure, "shared connection failed");
    signals.awaited.store(NOTHING_DUE, Ordering::Relaxed);
    fail(waiting, queued, failure, connection.endpoint());
}

/// The failure of a connection that sent a reply no request asked for.
fn unasked(endpoint: &str) -> Error {
    Error::Io {
        phase: Phase::Read,
        endpoint: endpoint.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "a reply no request asked for",
        ),
    }
}

/// How much of a write must go within the silence bound: a peer that
/// takes less (its window shut) fails the connection; one slow but moving
/// does not.
const WRITE_PIECE: usize = 64 * 1024;

/// Writes `out`, each [`WRITE_PIECE`] of it within `limit`.
async fn write_within(
    connection: &mut Connection,
    out: &[u8],
    limit: Option<Duration>,
) -> Result<(), Error> {
    let Some(after) = limit else {
        return connection.write_requests(out).await;
    };
    for piece in out.chunks(WRITE_PIECE) {
        let Ok(written) = tokio::time::timeout(after, connection.write_requests(piece)).await
        else {
            return Err(Error::Timeout {
                phase: Phase::Send,
                endpoint: connection.endpoint().to_owned(),
                after,
            });
        };
        written?;
    }
    Ok(())
}

/// Hands `frame` to the request it answers (a push answers none: an
/// invalidation goes to the cache, before the replies read after it).
fn answer(
    frame: Frame,
    waiting: &mut VecDeque<Waiting>,
    queued: &mut mpsc::UnboundedReceiver<Request>,
    lost: &[&str],
    signals: &Signals,
) {
    if matches!(frame, Frame::Push(_)) {
        return invalidate(&frame, signals);
    }
    let reply = match error_message(&frame) {
        Some(message) => Err(ServerError::new(message)),
        None => Ok(frame),
    };
    // Not the server the connection was made for (see `lost`): requests
    // not queued yet go to a new connection, found again; those queued are
    // served here still.
    if let Err(e) = &reply {
        if lost.contains(&e.code()) {
            queued.close();
            // What it tracked, and the reads still served here, are of a
            // server no longer the one asked for.
            if let Some(cache) = &signals.cache {
                cache.flush();
            }
        }
    }
    hand_over(waiting, reply);
}

/// Applies `push` to the connection's cache, if it has one.
fn invalidate(push: &Frame, signals: &Signals) {
    if let Some(cache) = &signals.cache {
        cache.apply(push);
    }
}

/// Flushes a cache when dropped: the end of the connection that tracked
/// keys for it.
struct FlushOnEnd<'a>(Option<&'a Cache>);

impl Drop for FlushOnEnd<'_> {
    fn drop(&mut self) {
        if let Some(cache) = self.0 {
            cache.flush();
        }
    }
}

/// Gives `reply` to the first request waiting; once it has all of its
/// replies, sends them to it.
fn hand_over(waiting: &mut VecDeque<Waiting>, reply: Result<Frame, ServerError>) {
    let Some(front) = waiting.front_mut() else {
        return;
    };
    front.replies.push(reply);
    if front.replies.len() == front.expected {
        if let Some(done) = waiting.pop_front() {
            done.respond.send(Ok(done.replies));
        }
    }
}

/// Puts `request`, and those queued after it (up to [`WRITE_BATCH`]
/// bytes), in `out` for one write, and among those `waiting`. Tasks ready
/// to run queue theirs first (a yield), so that one write takes them all,
/// not one each (measured: 5–8 % more for 50 tasks sharing a connection).
async fn gather(
    request: Request,
    queued: &mut mpsc::UnboundedReceiver<Request>,
    out: &mut BytesMut,
    waiting: &mut VecDeque<Waiting>,
) {
    tokio::task::yield_now().await;
    out.clear();
    let mut next = Some(request);
    while let Some(mut request) = next.take() {
        out.extend_from_slice(&request.bytes);
        if let Respond::Call(call) = &mut request.respond {
            // From here on, it may have run.
            call.written = true;
        }
        waiting.push_back(Waiting {
            expected: request.replies,
            replies: Vec::with_capacity(request.replies),
            respond: request.respond,
            _place: request.place,
        });
        if out.len() < WRITE_BATCH {
            next = queued.try_recv().ok();
        }
    }
}

/// Fails every request: those written get `failure` (the first the error
/// itself, the others copies), and those never written get `Closed`
/// (nothing of them was sent).
fn fail(
    waiting: VecDeque<Waiting>,
    mut queued: mpsc::UnboundedReceiver<Request>,
    failure: Error,
    endpoint: &str,
) {
    // Each request written met the failure (a copy each: a timeout is every
    // one's, and each may have been applied); those not written may go on
    // the next connection.
    close_unsent(&mut queued, endpoint);
    let mut waiting = waiting.into_iter();
    if let Some(first) = waiting.next() {
        for other in waiting {
            other.respond.send(Err(failure.duplicate()));
        }
        first.respond.send(Err(failure));
    }
}

/// Takes no more requests, and answers those queued `Closed`: nothing of
/// them was written, so they may go on another connection.
fn close_unsent(queued: &mut mpsc::UnboundedReceiver<Request>, endpoint: &str) {
    queued.close();
    while let Ok(unsent) = queued.try_recv() {
        unsent.respond.send(Err(Error::Closed {
            endpoint: endpoint.to_owned(),
        }));
    }
}
