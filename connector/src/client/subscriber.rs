//! Pub/sub: a connection of its own that subscribes, read as a [`Stream`]
//! of messages, subscribed again after it is lost.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use redwire_resp::{ArgBuf, Args, Frame, Payload};
use tokio::sync::{mpsc, oneshot};

use redwire_sentinel::Address;

use super::{Client, Topology};
use crate::backoff::Backoff;
use crate::cluster::Cluster;
use crate::command::slot::key_slot;
use crate::connection::Connection;
use crate::discovery::Connector;
use crate::error::{Error, Phase};
use crate::reply::FromFrame;

/// How many messages a [`Subscriber`] holds for its reader; past that,
/// messages are dropped and the stream says how many
/// ([`Error::Lagged`]) before the next one.
pub const SUBSCRIBER_BUFFER: usize = 4096;

/// Reconnecting waits 10 ms, doubling up to a second, with jitter.
const RECONNECT: Backoff = Backoff::new(Duration::from_millis(10), Duration::from_secs(1));

/// A message published to a channel the subscriber listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The channel it was published to.
    pub channel: Payload,
    /// The pattern it matched, for a `PSUBSCRIBE`.
    pub pattern: Option<Payload>,
    /// What was published.
    pub payload: Payload,
    /// Whether it came on a shard channel (`SPUBLISH`).
    pub sharded: bool,
}

impl Message {
    /// The payload as `T` (`String`, an integer, …).
    pub fn payload<T: FromFrame>(&self) -> Result<T, Error> {
        T::from_frame(Frame::BulkString(self.payload.clone()))
    }
}

/// A pub/sub subscriber: a connection of its own, read as a [`Stream`] of
/// [`Message`]s, made by [`Client::subscriber`].
///
/// - [`subscribe`](Self::subscribe), [`psubscribe`](Self::psubscribe) and
///   [`ssubscribe`](Self::ssubscribe) return once the server confirmed
///   every name: what is published after that reaches the stream.
/// - When its connection is lost, the stream yields that error once (when
///   the buffer is full, as soon as the reader made room, in order with
///   the counts of messages dropped, even while the server stays away), then
///   the subscriber connects again (through the sentinels for a sentinel
///   configuration: after a failover, to the new master), with a backoff
///   from 10 ms to 1 s, and subscribes to everything again. Messages
///   published meanwhile are lost, as pub/sub has no memory.
/// - At most [`SUBSCRIBER_BUFFER`] messages wait for the reader; past that
///   they are dropped, and the stream yields [`Error::Lagged`] with how
///   many as soon as the reader made room: never unbounded memory, never a
///   silent loss.
/// - On a cluster, channels and patterns are subscribed on one master
///   (what is published anywhere reaches every node); shard channels
///   (`SSUBSCRIBE`) on the master serving each one's slot, a connection per
///   master, their messages merged into the same stream. A shard channel's
///   connection follows its slot's master after a failover; a slot moved to
///   another master by a reshard is not followed (the server ends such
///   subscriptions): subscribe again.
/// - Dropped, it closes its connections.
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # async fn demo(client: &redwire::Client) -> Result<(), redwire::Error> {
/// let mut subscriber = client.subscriber().await?;
/// subscriber.subscribe("news").await?;
/// while let Some(message) = subscriber.next().await {
///     match message {
///         Ok(message) => println!("{}", message.payload::<String>()?),
///         // A loss (subscribed again meanwhile), or messages dropped.
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Subscriber {
    control: mpsc::Sender<Control>,
    messages: mpsc::Receiver<Result<Message, Error>>,
    task: tokio::task::JoinHandle<()>,
    /// On a cluster, the connections of shard channels.
    shards: Option<Shards>,
}

/// A cluster subscriber's shard channels: a connection (a task, as the
/// subscriber's own) per master serving some of them.
#[derive(Debug)]
struct Shards {
    cluster: Cluster,
    /// Where each task sends its messages: the subscriber's stream.
    sender: mpsc::Sender<Result<Message, Error>>,
    links: Mutex<HashMap<Address, Link>>,
    /// Each shard channel subscribed, and the link it was subscribed on.
    channels: Mutex<HashMap<Vec<u8>, Address>>,
}

/// One master's shard channel connection.
#[derive(Debug)]
struct Link {
    control: mpsc::Sender<Control>,
    task: tokio::task::JoinHandle<()>,
}

impl Link {
    /// A task on `connection`, connecting again to the master of `slot`.
    fn start(
        connection: Connection,
        cluster: Cluster,
        slot: u16,
        sender: mpsc::Sender<Result<Message, Error>>,
    ) -> Self {
        let silence = cluster.peer_timeout();
        let connect: Connect = Arc::new(move || {
            let cluster = cluster.clone();
            Box::pin(async move {
                let master = cluster.master_of(slot)?;
                cluster.connect_to(&master).await.map(waiting_for_ever)
            })
        });
        let (control, controls) = mpsc::channel(16);
        let task = tokio::spawn(run(connection, connect, controls, sender, silence));
        Self { control, task }
    }
}

/// A (un)subscribe command for the task, and who waits for its end.
struct Control {
    command: ArgBuf,
    /// Answered once the server confirmed it: each name, or (an
    /// unsubscribe from all) each subscription it ends.
    done: oneshot::Sender<Result<(), Error>>,
}

/// How the subscriber's task makes its connection.
type Connect =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Connection, Error>> + Send>> + Send + Sync>;

impl Client {
    /// A [`Subscriber`] on a connection of its own (on a cluster, to one
    /// master: messages published anywhere reach every node).
    pub async fn subscriber(&self) -> Result<Subscriber, Error> {
        let (connect, silence, cluster): (Connect, _, _) = match &self.topology {
            Topology::Server { shared, .. } => {
                let connector = Connector::new(shared.config().clone());
                let connect: Connect = Arc::new(move || {
                    let connector = connector.clone();
                    Box::pin(async move { connector.connect().await.map(waiting_for_ever) })
                });
                (connect, shared.config().get_peer_timeout(), None)
            }
            Topology::Cluster(lazy) => {
                let cluster = lazy.get().await?.clone();
                let any_master = cluster.clone();
                let connect: Connect = Arc::new(move || {
                    let cluster = any_master.clone();
                    Box::pin(
                        async move { cluster.connect_to_any_master().await.map(waiting_for_ever) },
                    )
                });
                (connect, cluster.peer_timeout(), Some(cluster))
            }
        };
        let connection = connect().await?;
        let (control, controls) = mpsc::channel(16);
        let (sender, messages) = mpsc::channel(SUBSCRIBER_BUFFER);
        let shards = cluster.map(|cluster| Shards {
            cluster,
            sender: sender.clone(),
            links: Mutex::default(),
            channels: Mutex::default(),
        });
        let task = tokio::spawn(run(connection, connect, controls, sender, silence));
        Ok(Subscriber {
            control,
            messages,
            task,
            shards,
        })
    }
}

/// A subscriber's connection: it waits for messages as long as it takes
/// (a read timeout would take a quiet channel for a lost connection).
fn waiting_for_ever(mut connection: Connection) -> Connection {
    connection.set_read_timeout(None);
    connection
}

impl Subscriber {
    /// `SUBSCRIBE channel…`: returns once the server confirmed each.
    pub async fn subscribe(&self, channels: impl Args) -> Result<(), Error> {
        self.send(&("SUBSCRIBE", channels)).await
    }

    /// `PSUBSCRIBE pattern…`.
    pub async fn psubscribe(&self, patterns: impl Args) -> Result<(), Error> {
        self.send(&("PSUBSCRIBE", patterns)).await
    }

    /// `SSUBSCRIBE shardchannel…` (Redis 7): on a cluster, each on the
    /// master serving its slot, one command per slot (a stale slot map is
    /// read again once on `MOVED`).
    pub async fn ssubscribe(&self, channels: impl Args) -> Result<(), Error> {
        let Some(shards) = &self.shards else {
            return self.send(&("SSUBSCRIBE", channels)).await;
        };
        let mut names = Vec::new();
        channels.for_each_arg(&mut |name| names.push(name.to_vec()));
        let mut refreshed = false;
        loop {
            match shards.subscribe(&names).await {
                Err(Error::Server(e)) if e.code() == "MOVED" && !refreshed => {
                    refreshed = true;
                    shards.cluster.refresh().await?;
                }
                done => return done,
            }
        }
    }

    /// `SUNSUBSCRIBE [shardchannel…]` (none: every shard channel).
    pub async fn sunsubscribe(&self, channels: impl Args) -> Result<(), Error> {
        let Some(shards) = &self.shards else {
            return self.send(&("SUNSUBSCRIBE", channels)).await;
        };
        let mut names = Vec::new();
        channels.for_each_arg(&mut |name| names.push(name.to_vec()));
        shards.unsubscribe(names).await
    }

    /// `UNSUBSCRIBE [channel…]` (none: every channel): returns once the
    /// server confirmed it, so a message published after that is not
    /// heard (those already received still are).
    pub async fn unsubscribe(&self, channels: impl Args) -> Result<(), Error> {
        self.send(&("UNSUBSCRIBE", channels)).await
    }

    /// `PUNSUBSCRIBE [pattern…]`.
    pub async fn punsubscribe(&self, patterns: impl Args) -> Result<(), Error> {
        self.send(&("PUNSUBSCRIBE", patterns)).await
    }

    async fn send(&self, command: &impl Args) -> Result<(), Error> {
        send(&self.control, command).await
    }
}

/// `names` by slot, in slot order.
fn by_slot<'a>(
    names: impl Iterator<Item = &'a Vec<u8>>,
) -> std::collections::BTreeMap<u16, Vec<&'a [u8]>> {
    let mut slots: std::collections::BTreeMap<u16, Vec<&[u8]>> = std::collections::BTreeMap::new();
    for name in names {
        slots.entry(key_slot(name)).or_default().push(name);
    }
    slots
}

/// Has a subscriber's task run `command`; returns once it is done.
async fn send(control: &mpsc::Sender<Control>, command: &impl Args) -> Result<(), Error> {
    let mut words = ArgBuf::default();
    command.for_each_arg(&mut |word| words.push(word));
    let (done, answer) = oneshot::channel();
    let gone = || Error::Closed {
        endpoint: "a subscriber's connection".to_owned(),
    };
    control
        .send(Control {
            command: words,
            done,
        })
        .await
        .map_err(|_| gone())?;
    answer.await.map_err(|_| gone())?
}

impl Shards {
    fn links(&self) -> std::sync::MutexGuard<'_, HashMap<Address, Link>> {
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn channels(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Address>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes each of `names` on the master serving its slot now, one
    /// `SSUBSCRIBE` per slot.
    async fn subscribe(&self, names: &[Vec<u8>]) -> Result<(), Error> {
        for (slot, group) in by_slot(names.iter()) {
            let master = self.cluster.master_of(slot)?;
            let control = self.link(&master, slot).await?;
            send(&control, &("SSUBSCRIBE", &group)).await?;
            let mut channels = self.channels();
            for name in group {
                channels.insert(name.to_vec(), master.clone());
            }
        }
        Ok(())
    }

    /// Unsubscribes `names` (none: every shard channel) on the links they
    /// were subscribed on, one `SUNSUBSCRIBE` per slot and link; a name not
    /// subscribed is passed over.
    async fn unsubscribe(&self, names: Vec<Vec<u8>>) -> Result<(), Error> {
        if names.is_empty() {
            self.channels().clear();
            let controls: Vec<_> = self.links().values().map(|l| l.control.clone()).collect();
            for control in controls {
                send(&control, &"SUNSUBSCRIBE").await?;
            }
            return Ok(());
        }
        let mut on: HashMap<Address, Vec<Vec<u8>>> = HashMap::new();
        {
            let mut channels = self.channels();
            for name in names {
                if let Some(link) = channels.remove(&name) {
                    on.entry(link).or_default().push(name);
                }
            }
        }
        for (link, names) in on {
            let control = self.links().get(&link).map(|l| l.control.clone());
            let Some(control) = control else { continue };
            for (_, group) in by_slot(names.iter()) {
                send(&control, &("SUNSUBSCRIBE", &group)).await?;
            }
        }
        Ok(())
    }

    /// The control of `master`'s connection, made now if there is none
    /// (`slot`: one it serves, to follow after a failover).
    async fn link(&self, master: &Address, slot: u16) -> Result<mpsc::Sender<Control>, Error> {
        if let Some(link) = self.links().get(master).filter(|l| !l.control.is_closed()) {
            return Ok(link.control.clone());
        }
        let connection = waiting_for_ever(self.cluster.connect_to(master).await?);
        let mut links = self.links();
        // Made meanwhile by another caller: that one is kept.
        if let Some(link) = links.get(master).filter(|l| !l.control.is_closed()) {
            return Ok(link.control.clone());
        }
        let link = Link::start(connection, self.cluster.clone(), slot, self.sender.clone());
        let control = link.control.clone();
        if let Some(old) = links.insert(master.clone(), link) {
            old.task.abort();
        }
        Ok(control)
    }
}

impl Stream for Subscriber {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.messages.poll_recv(cx)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(shards) = &self.shards {
            for link in shards.links().values() {
                link.task.abort();
            }
        }
    }
}

/// A (un)subscribe command waiting for its confirmations, and who waits for
/// them (nobody, for a subscription made again after a reconnect; and the
/// callers whose subscriptions it carries, when they were lost with the
/// connection before being confirmed).
struct Pending {
    /// The command, as sent.
    command: Vec<Vec<u8>>,
    /// The confirmation's kind: `subscribe`, `punsubscribe`, ….
    kind: Vec<u8>,
    remaining: usize,
    done: Vec<Done>,
}

/// Who waits for a subscription's end.
type Done = oneshot::Sender<Result<(), Error>>;

impl Pending {
    fn answer(self, result: &Result<(), Error>) {
        for done in self.done {
            drop(done.send(match result {
                Ok(()) => Ok(()),
                Err(Error::Server(e)) => Err(Error::Server(e.clone())),
                Err(_) => Err(Error::Closed {
                    endpoint: "a subscriber's connection".to_owned(),
                }),
            }));
        }
    }
}

/// What one frame read on a subscribed connection is.
enum Read {
    Message(Message),
    /// A confirmation of this kind (lower case).
    Confirmation(Vec<u8>),
    Other,
}

fn read(frame: Frame) -> Read {
    let (Frame::Array(items) | Frame::Push(items)) = frame else {
        return Read::Other;
    };
    let mut items = items.into_iter().map(|item| match item {
        Frame::BulkString(b) | Frame::SimpleString(b) => Some(b),
        _ => None,
    });
    let Some(Some(kind)) = items.next() else {
        return Read::Other;
    };
    let kind = kind.to_ascii_lowercase();
    let mut next = || items.next().flatten().unwrap_or_default();
    match &kind[..] {
        b"message" | b"smessage" => Read::Message(Message {
            channel: next(),
            pattern: None,
            payload: next(),
            sharded: kind == b"smessage",
        }),
        b"pmessage" => Read::Message(Message {
            pattern: Some(next()),
            channel: next(),
            payload: next(),
            sharded: false,
        }),
        b"subscribe" | b"psubscribe" | b"ssubscribe" | b"unsubscribe" | b"punsubscribe"
        | b"sunsubscribe" => Read::Confirmation(kind),
        _ => Read::Other,
    }
}

/// The subscriber's task: reads messages into `sender`, runs the commands
/// that come on `controls`, connects again when the connection fails; ends
/// when the subscriber is dropped.
///
/// Dead-peer detection: quiet for `silence` (the peer timeout), the
/// connection is sent a `PING`; unanswered for as long again, it counts as
/// lost (a server stopped, or cut off, with its socket open: keepalive
/// alone would not tell).
async fn run(
    mut connection: Connection,
    connect: Connect,
    mut controls: mpsc::Receiver<Control>,
    sender: mpsc::Sender<Result<Message, Error>>,
    silence: Option<Duration>,
) {
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut unsaid = Unsaid::default();
    let mut quiet = Quiet::new(silence);
    let alarm = tokio::time::sleep_until(quiet.until());
    tokio::pin!(alarm);
    loop {
        let lost = tokio::select! {
            () = &mut alarm, if quiet.watched() => {
                let lost = quiet.rang(&mut connection).await;
                alarm.as_mut().reset(quiet.until());
                lost
            }
            control = controls.recv() => {
                let Some(Control { command, done }) = control else { return };
                let mut words = Vec::new();
                command.for_each_arg(&mut |w| words.push(w.to_vec()));
                let kind = words[0].to_ascii_lowercase();
                let remaining = connection.confirmations(&command);
                match connection.send_subscription(&command).await {
                    Ok(()) => {
                        pending.push_back(Pending {
                            remaining,
                            command: words,
                            kind,
                            done: vec![done],
                        });
                        None
                    }
                    Err(e) if e.keeps_connection() => {
                        drop(done.send(Err(e)));
                        None
                    }
                    Err(e) => {
                        // Not written whole, not noted: not subscribed again
                        // either. The caller is told; the reader hears the
                        // loss.
                        drop(done.send(Err(e.duplicate())));
                        Some(e)
                    }
                }
            }
            // Room again after messages were dropped or an error found
            // no room: say so at once, not only when the next message comes.
            room = sender.reserve(), if unsaid.any() => {
                if let (Ok(room), Some(notice)) = (room, unsaid.next()) {
                    room.send(Err(notice));
                }
                None
            }
            frame = connection.read() => {
                quiet.heard();
                match frame {
                Ok(Frame::Error(message) | Frame::BulkError(message)) => {
                    let refused = Error::Server(crate::error::ServerError::new(&message));
                    match pending.pop_front() {
                        Some(waiting) => {
                            // Not subscribed: not to be subscribed again.
                            connection.subscription_refused(&waiting.command);
                            waiting.answer(&Err(refused));
                        }
                        // Refused with nobody waiting: the reader hears it.
                        None => unsaid.deliver(&sender, Err(refused)),
                    }
                    None
                }
                Ok(frame) => {
                    match read(frame) {
                        Read::Message(message) => unsaid.deliver(&sender, Ok(message)),
                        Read::Confirmation(kind) => confirmed(&mut pending, &kind),
                        Read::Other => {}
                    }
                    None
                }
                Err(e) if e.keeps_connection() => {
                    unsaid.deliver(&sender, Err(e));
                    None
                }
                Err(e) => Some(e),
            }},
        };
        if let Some(loss) = lost {
            unsaid.deliver(&sender, Err(loss));
            connection = reconnect(&connection, &connect, &mut pending, &sender, &mut unsaid).await;
            quiet.heard();
            alarm.as_mut().reset(quiet.until());
        }
        if sender.is_closed() {
            return;
        }
    }
}

/// How long a subscriber's connection has been quiet, and whether it was
/// sent a `PING` for it.
struct Quiet {
    silence: Option<Duration>,
    since: tokio::time::Instant,
    pinged: bool,
}

impl Quiet {
    fn new(silence: Option<Duration>) -> Self {
        Self {
            silence,
            since: tokio::time::Instant::now(),
            pinged: false,
        }
    }

    /// Whether silence is watched at all.
    fn watched(&self) -> bool {
        self.silence.is_some()
    }

    /// Something was read (or a new connection made).
    fn heard(&mut self) {
        (self.since, self.pinged) = (tokio::time::Instant::now(), false);
    }

    /// When to look again (far off when silence is not watched).
    fn until(&self) -> tokio::time::Instant {
        self.since + self.silence.unwrap_or(NEVER)
    }

    /// At [`until`](Self::until), or later: a `PING` after a quiet spell,
    /// the connection lost (a timeout) after one unanswered.
    async fn rang(&mut self, connection: &mut Connection) -> Option<Error> {
        let silence = self.silence?;
        if self.since.elapsed() < silence {
            // Heard meanwhile: nothing to do yet.
            return None;
        }
        if self.pinged {
            return Some(Error::Timeout {
                phase: Phase::Read,
                endpoint: connection.endpoint().to_owned(),
                after: silence,
            });
        }
        (self.since, self.pinged) = (tokio::time::Instant::now(), true);
        connection.send_subscription(&["PING"]).await.err()
    }
}

/// A silence never watched: a year.
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// Counts a confirmation of `kind` for the first subscription waiting;
/// once it has them all, its callers are told.
fn confirmed(pending: &mut VecDeque<Pending>, kind: &[u8]) {
    let Some(front) = pending.front_mut().filter(|p| p.kind == kind) else {
        return;
    };
    front.remaining = front.remaining.saturating_sub(1);
    if front.remaining == 0 {
        if let Some(done) = pending.pop_front() {
            done.answer(&Ok(()));
        }
    }
}

/// The most errors kept for a reader that makes no room; past it, an
/// error is counted with the messages dropped.
const MAX_UNSAID: usize = 64;

/// What the reader was not told yet for want of room, in the order it
/// happened: counts of messages dropped ([`Error::Lagged`], neighbours
/// merged) and errors (a lost connection, a failed reconnect, a refusal
/// nobody waited for). Each is said, in order, as soon as there is room;
/// an error is counted as a dropped item only past [`MAX_UNSAID`].
#[derive(Default)]
struct Unsaid {
    notices: VecDeque<Error>,
}

impl Unsaid {
    fn any(&self) -> bool {
        !self.notices.is_empty()
    }

    /// The next notice to give the reader, taken from what is unsaid.
    fn next(&mut self) -> Option<Error> {
        self.notices.pop_front()
    }

    /// Counts `n` more items dropped.
    fn dropped(&mut self, n: u64) {
        match self.notices.back_mut() {
            Some(Error::Lagged { dropped, .. }) => *dropped += n,
            _ => self.notices.push_back(lagged(n)),
        }
    }

    /// Keeps `item`, which found no room.
    fn keep(&mut self, item: Result<Message, Error>) {
        match item {
            Ok(_) => self.dropped(1),
            Err(Error::Lagged { dropped, .. }) => self.dropped(dropped),
            Err(_) if self.notices.len() >= MAX_UNSAID => self.dropped(1),
            Err(e) => self.notices.push_back(e),
        }
    }

    /// Puts back `notice`, taken by [`next`](Self::next) and not said.
    fn put_back(&mut self, notice: Error) {
        match (notice, self.notices.front_mut()) {
            (Error::Lagged { dropped: n, .. }, Some(Error::Lagged { dropped, .. })) => {
                *dropped += n;
            }
            (notice, _) => self.notices.push_front(notice),
        }
    }

    /// Says what is unsaid as far as there is room: whether all of it was.
    fn say(&mut self, sender: &mpsc::Sender<Result<Message, Error>>) -> bool {
        while let Some(notice) = self.next() {
            if let Err(full) = sender.try_send(Err(notice)) {
                if let Err(notice) = full.into_inner() {
                    self.put_back(notice);
                }
                return false;
            }
        }
        true
    }

    /// Hands `item` to the reader after what is unsaid, or keeps it when
    /// the buffer is full.
    fn deliver(
        &mut self,
        sender: &mpsc::Sender<Result<Message, Error>>,
        item: Result<Message, Error>,
    ) {
        if !self.say(sender) {
            self.keep(item);
        } else if let Err(full) = sender.try_send(item) {
            self.keep(full.into_inner());
        }
    }

    /// Waits `pause`, saying what is unsaid whenever the reader makes room
    /// meanwhile (a reconnect's backoff must not keep a loss from it).
    async fn say_during(&mut self, sender: &mpsc::Sender<Result<Message, Error>>, pause: Duration) {
        let wake = tokio::time::sleep(pause);
        tokio::pin!(wake);
        loop {
            tokio::select! {
                () = &mut wake => return,
                room = sender.reserve(), if self.any() => match (room, self.next()) {
                    (Ok(room), Some(notice)) => room.send(Err(notice)),
                    // The reader is gone: nobody to tell.
                    _ => return,
                },
            }
        }
    }
}

/// What the reader is told of `dropped` messages.
fn lagged(dropped: u64) -> Error {
    Error::Lagged {
        endpoint: "a subscriber".to_owned(),
        dropped,
    }
}

/// A new connection subscribed to what `lost` was, made with a backoff
/// (for as long as the subscriber lives: dropping it aborts the task); the
/// first failure to connect is said to the reader (a password changed, a
/// server gone). The subscriptions waiting for confirmation are part of
/// what is subscribed again: their callers are told once that is
/// confirmed.
async fn reconnect(
    lost: &Connection,
    connect: &Connect,
    pending: &mut VecDeque<Pending>,
    sender: &mpsc::Sender<Result<Message, Error>>,
    unsaid: &mut Unsaid,
) -> Connection {
    let again = lost.resubscriptions();
    let mut callers: Vec<(Vec<u8>, Done)> = pending
        .drain(..)
        .flat_map(|p| p.done.into_iter().map(move |done| (p.kind.clone(), done)))
        .collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        unsaid.say_during(sender, RECONNECT.jittered(attempt)).await;
        let mut connection = match connect().await {
            Ok(connection) => connection,
            Err(e) => {
                if attempt == 1 {
                    unsaid.deliver(sender, Err(e));
                }
                continue;
            }
        };
        let mut resubscribed = Vec::new();
        for command in &again {
            if connection.send_subscription(command).await.is_err() {
                break;
            }
            resubscribed.push(Pending {
                kind: command[0].to_ascii_lowercase(),
                remaining: command.len() - 1,
                command: command.clone(),
                done: Vec::new(),
            });
        }
        if resubscribed.len() < again.len() {
            continue;
        }
        // Each caller waits for the resubscription of its kind; an
        // unsubscribe is done (the new connection is not subscribed).
        for (kind, done) in callers.drain(..) {
            if kind.ends_with(b"unsubscribe") {
                drop(done.send(Ok(())));
                continue;
            }
            match resubscribed.iter_mut().rev().find(|p| p.kind == kind) {
                Some(carrier) => carrier.done.push(done),
                None => drop(done.send(Err(Error::Closed {
                    endpoint: "a subscriber's connection".to_owned(),
                }))),
            }
        }
        pending.extend(resubscribed);
        return connection;
    }
}
