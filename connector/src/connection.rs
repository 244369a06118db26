//! One connection to one server: handshake, commands, pipelines, raw RESP,
//! scripts. Requests are strictly one at a time (`&mut self`).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::time::Duration;

use bytes::BytesMut;
use redwire_resp::{encode_command, Args, Decoder, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::Instrument;

use crate::config::{Config, Endpoint, Protocol};
use crate::error::{ConfigError, Error, Phase, PhaseTracker, ServerError};
use crate::pipeline::Pipeline;
use crate::policy::Policy;
use crate::script;
use crate::transport::{self, Transport};

/// Bytes reserved in the read buffer before each socket read.
const READ_CHUNK: usize = 16 * 1024;

/// Whether replies still match requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No request in flight.
    Ready,
    /// A request was written and its replies are not all read. Seen at the
    /// start of the next request, it means the last one was cancelled.
    Busy,
    /// Out of step for good: an I/O, protocol or timeout error happened.
    Broken,
}

/// A connection to one Redis or Valkey server.
///
/// Made by [`Connection::connect`], which runs the handshake (`AUTH`,
/// `HELLO 3`, `CLIENT SETNAME`, `SELECT`) in one round trip. After an I/O
/// error, a protocol error, a timeout, or a request future dropped before
/// its reply was read, the connection refuses every further request with
/// [`Error::Broken`]: a reply never reaches the wrong caller.
#[allow(clippy::struct_excessive_bools)] // independent facts, each with its own rule
pub struct Connection {
    transport: Transport,
    endpoint: String,
    decoder: Decoder,
    read: BytesMut,
    write: BytesMut,
    state: State,
    send_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    policy: Policy,
    /// RESP3 pushes that arrived while a reply was awaited, for [`Connection::read`].
    pushes: VecDeque<Frame>,
    /// Script name → (source, SHA1).
    scripts: HashMap<String, (String, String)>,
    /// Inside `MULTI`: queued commands belong to whoever opened it.
    in_transaction: bool,
    /// Keys are `WATCH`ed: the next `EXEC` depends on whoever watched them.
    watching: bool,
    /// The subscriptions: messages belong to whoever subscribed.
    subscriptions: Subscriptions,
    /// The server answered `READONLY` or `LOADING`: it is no longer (or not
    /// yet) the server this connection was meant for.
    stale_role: bool,
    /// A command changed what the connection's settings chose (`SELECT`,
    /// `AUTH`, `HELLO`, `RESET`, `CLIENT SETNAME`, …): it is not the
    /// connection its pool hands out.
    session_changed: bool,
}

/// Shows the endpoint and state only: the buffers may hold credentials.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The endpoint as errors name it.
pub(crate) fn endpoint_name(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
        Endpoint::Tcp { host, port } => format!("{host}:{port}"),
        Endpoint::Unix(path) => path.display().to_string(),
        Endpoint::Sentinel(s) => format!("sentinel master {}", s.master_name),
        Endpoint::Cluster(seeds) => format!("cluster {}", seed_list(seeds)),
    }
}

/// `host:port,host:port` (IPv6 hosts in brackets).
pub(crate) fn seed_list(seeds: &[(String, u16)]) -> String {
    seeds
        .iter()
        .map(|(host, port)| {
            endpoint_name(&Endpoint::Tcp {
                host: host.clone(),
                port: *port,
            })
        })
        .collect::<Vec<_>>()
        .join(",")
}

impl Connection {
    /// Connects and runs the handshake, all within the connect timeout.
    pub async fn connect(config: &Config) -> Result<Self, Error> {
        if let Endpoint::Sentinel(sentinel) = config.endpoint() {
            let discovery = crate::sentinel::Discovery::new(sentinel, false);
            return crate::sentinel::connect(config, sentinel, &discovery).await;
        }
        let endpoint = endpoint_name(config.endpoint());
        let span = tracing::debug_span!("redwire.connect", endpoint = %endpoint);
        let phase = PhaseTracker::new(Phase::Resolve);
        let establish = Self::establish(config, endpoint.clone(), &phase).instrument(span);
        match config.connect_timeout {
            Some(after) => tokio::time::timeout(after, establish)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::Timeout {
                        phase: phase.get(),
                        endpoint,
                        after,
                    })
                }),
            None => establish.await,
        }
    }

    async fn establish(
        config: &Config,
        endpoint: String,
        phase: &PhaseTracker,
    ) -> Result<Self, Error> {
        if config.proxy && config.db != 0 {
            return Err(ConfigError::invalid(
                "db",
                "0 in proxy mode (proxies have no SELECT)",
                config.db,
            )
            .into());
        }
        if config.tls.is_some() && matches!(config.endpoint(), Endpoint::Unix(_)) {
            return Err(ConfigError::invalid("tls", "used with a TCP endpoint", &endpoint).into());
        }
        let transport = match config.endpoint() {
            Endpoint::Tcp { host, port } => {
                let stream = transport::tcp(config, host, *port, &endpoint, phase).await?;
                match &config.tls {
                    Some(options) => {
                        phase.set(Phase::Tls);
                        Transport::Tls(Box::new(
                            crate::tls::handshake(options, host, stream, &endpoint).await?,
                        ))
                    }
                    None => Transport::Tcp(stream),
                }
            }
            Endpoint::Unix(path) => {
                phase.set(Phase::Connect);
                Transport::Unix(transport::unix(path, &endpoint).await?)
            }
            // A sentinel endpoint was resolved above.
            Endpoint::Sentinel(_) | Endpoint::Cluster(_) => {
                return Err(ConfigError::invalid(
                    "endpoint",
                    "one server: connect to a cluster with redwire::Cluster",
                    &endpoint,
                )
                .into())
            }
        };
        tracing::debug!("connected");
        let mut connection = Self {
            transport,
            endpoint,
            decoder: Decoder::default(),
            read: BytesMut::with_capacity(READ_CHUNK),
            write: BytesMut::with_capacity(1024),
            state: State::Ready,
            send_timeout: config.send_timeout,
            read_timeout: config.read_timeout,
            policy: Policy::new(config),
            pushes: VecDeque::new(),
            scripts: HashMap::new(),
            in_transaction: false,
            watching: false,
            subscriptions: Subscriptions::default(),
            stale_role: false,
            session_changed: false,
        };
        connection.handshake(config, phase).await?;
        Ok(connection)
    }

    /// `HELLO 3` (with AUTH and SETNAME) or `AUTH` and `CLIENT SETNAME`, then
    /// `SELECT`, written at once; each reply checked in order.
    async fn handshake(&mut self, config: &Config, phase: &PhaseTracker) -> Result<(), Error> {
        let mut steps = Vec::new();
        let auth = config.password.as_ref().map(|password| {
            let mut args = Vec::new();
            // `AUTH user pass`, or `AUTH pass` for the default user.
            if let Some(user) = config.username.as_deref().filter(|u| *u != "default") {
                args.push(user.to_owned());
            }
            args.push(password.expose().to_owned());
            args
        });
        let name = config.client_name.as_ref().filter(|_| !config.proxy);
        if config.protocol == Protocol::Resp3 {
            let mut hello = vec!["HELLO".to_owned(), "3".to_owned()];
            if let Some(auth) = &auth {
                hello.push("AUTH".to_owned());
                if auth.len() == 1 {
                    hello.push("default".to_owned());
                }
                hello.extend(auth.iter().cloned());
            }
            if let Some(name) = name {
                hello.extend(["SETNAME".to_owned(), name.clone()]);
            }
            let phase = if auth.is_some() {
                Phase::Auth
            } else {
                Phase::Handshake
            };
            steps.push((phase, hello));
        } else {
            if let Some(auth) = auth {
                steps.push((Phase::Auth, [vec!["AUTH".to_owned()], auth].concat()));
            }
            if let Some(name) = name {
                steps.push((
                    Phase::Handshake,
                    vec!["CLIENT".to_owned(), "SETNAME".to_owned(), name.clone()],
                ));
            }
        }
        if config.readonly {
            steps.push((Phase::Handshake, vec!["READONLY".to_owned()]));
        }
        if config.db != 0 && !config.proxy {
            steps.push((
                Phase::Select,
                vec!["SELECT".to_owned(), config.db.to_string()],
            ));
        }
        if steps.is_empty() {
            return Ok(());
        }
        phase.set(steps[0].0);
        self.write.clear();
        for (_, args) in &steps {
            encode_command(&mut self.write, args);
        }
        self.begin()?;
        let flushed = self.flush().await;
        // The handshake carries the password: wipe it from the buffer.
        self.write.iter_mut().for_each(|byte| *byte = 0);
        self.write.clear();
        flushed?;
        for (step, _) in &steps {
            phase.set(*step);
            let reply = self.next_reply(None).await?;
            if let Some(message) = error_message(&reply) {
                self.state = State::Broken;
                return Err(Error::Refused {
                    phase: *step,
                    endpoint: self.endpoint.clone(),
                    reply: ServerError::new(message),
                });
            }
        }
        self.state = State::Ready;
        Ok(())
    }

    /// Runs one command: its reply, with a null reply as a null frame and an
    /// error reply as [`Error::Server`].
    ///
    /// ```no_run
    /// # async fn demo(connection: &mut redwire::Connection) -> Result<(), redwire::Error> {
    /// connection.cmd(&("SET", "greeting", "hello")).await?;
    /// let value = connection.cmd(&("GET", "greeting")).await?;
    /// assert_eq!(value.as_bytes(), Some(&b"hello"[..]));
    /// # Ok(()) }
    /// ```
    pub async fn cmd<A: Args + ?Sized>(&mut self, args: &A) -> Result<Frame, Error> {
        let shape = Shape::of(args);
        if shape.count == 0 {
            return Err(Error::EmptyCommand);
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            // The command name only: arguments may hold secrets.
            tracing::trace!(endpoint = %self.endpoint, command = %String::from_utf8_lossy(&shape.name), "command");
        }
        self.policy.check(args)?;
        self.write.clear();
        encode_command(&mut self.write, args);
        self.begin()?;
        self.flush().await?;
        let reply = self.next_reply(shape.subscription).await?;
        if let Some(kind) = shape.subscription {
            self.more_confirmations(kind, shape.count, &reply).await?;
        }
        if error_message(&reply).is_none() {
            if let Some(opens) = shape.transaction {
                self.in_transaction = opens;
            }
            if let Some(watches) = shape.watch {
                self.watching = watches;
            }
            self.session_changed |= shape.changes_session;
        }
        self.state = State::Ready;
        match error_message(&reply) {
            Some(message) => Err(Error::Server(self.server_error(message))),
            None => Ok(reply),
        }
    }

    /// An error reply, noting `READONLY` and `LOADING`: a demoted master or
    /// a loading replica is not the server this connection was made for.
    fn server_error(&mut self, message: &[u8]) -> ServerError {
        let error = ServerError::new(message);
        if matches!(error.code(), "READONLY" | "LOADING") {
            self.stale_role = true;
        }
        error
    }

    /// After the first confirmation of a (un)subscribe command, reads the
    /// others (one per channel named; for an unsubscribe from every channel
    /// of a kind, one per such subscription, or one when there is none) and
    /// keeps them for [`read`](Self::read).
    async fn more_confirmations(
        &mut self,
        kind: Subscription,
        count: usize,
        first: &Frame,
    ) -> Result<(), Error> {
        if error_message(first).is_some() {
            return Ok(());
        }
        let expected = if count > 1 {
            count - 1
        } else if kind.is_unsubscribe() {
            self.subscriptions.count(kind).max(1)
        } else {
            1
        };
        self.subscriptions.note(first);
        for _ in 1..expected {
            let confirmation = self.next_reply(Some(kind)).await?;
            self.subscriptions.note(&confirmation);
            self.pushes.push_back(confirmation);
        }
        Ok(())
    }

    /// Sends every queued command in one write and reads one reply per
    /// command, in order; an error reply stays in its place. An I/O error
    /// fails the whole call. An empty pipeline sends nothing.
    pub async fn pipeline(
        &mut self,
        pipeline: &Pipeline,
    ) -> Result<Vec<Result<Frame, ServerError>>, Error> {
        if let Some(command) = pipeline.disabled(&self.policy) {
            return Err(Error::Disabled { command });
        }
        pipeline.check_commands()?;
        if pipeline.is_empty() {
            return Ok(Vec::new());
        }
        tracing::trace!(endpoint = %self.endpoint, commands = pipeline.len(), "pipeline");
        self.begin()?;
        self.flush_bytes(pipeline.bytes()).await?;
        if let Some((_, opens)) = pipeline.last_effect(transaction_effect) {
            self.in_transaction = opens;
        }
        self.session_changed |= pipeline.changes_session();
        let mut replies = Vec::with_capacity(pipeline.len());
        for _ in 0..pipeline.len() {
            let reply = self.next_reply(None).await?;
            replies.push(match error_message(&reply) {
                Some(message) => Err(self.server_error(message)),
                None => Ok(reply),
            });
        }
        // A refused `EXEC` (no `MULTI`) leaves the keys watched.
        if let Some((i, watches)) = pipeline.last_effect(watch_effect) {
            if replies.get(i).is_some_and(Result::is_ok) {
                self.watching = watches;
            }
        }
        self.state = State::Ready;
        Ok(replies)
    }

    /// Reads one raw reply: a pub/sub message, a `MONITOR` line, a RESP3
    /// push. Waits up to the read timeout (none by default). Cancel-safe:
    /// dropping it before a frame arrives loses nothing, so it can sit in a
    /// `select!` loop.
    pub async fn read(&mut self) -> Result<Frame, Error> {
        if let Some(push) = self.pushes.pop_front() {
            return Ok(push);
        }
        if self.state != State::Ready {
            self.state = State::Broken;
            return Err(Error::Broken {
                endpoint: self.endpoint.clone(),
            });
        }
        self.read_frame().await
    }

    /// Writes a (un)subscribe command and returns without reading: its
    /// confirmations come from [`read`](Self::read), in the order the server
    /// sent them among the messages (the model of a loop that reads every
    /// frame, as redis-py's `PubSub`). What it asks for is noted at once
    /// (see [`resubscriptions`](Self::resubscriptions)), and the connection
    /// is not reusable after it: replies may be left unread. Any other
    /// command is refused with [`Error::NotSubscription`]: its reply would
    /// be read as a message.
    pub async fn send_subscription<A: Args + ?Sized>(&mut self, args: &A) -> Result<(), Error> {
        let mut words = Vec::new();
        args.for_each_arg(&mut |arg| words.push(arg.to_vec()));
        let Some((name, names)) = words.split_first() else {
            return Err(Error::EmptyCommand);
        };
        let Some(kind) = Subscription::of(name) else {
            return Err(Error::NotSubscription {
                command: String::from_utf8_lossy(name).to_ascii_uppercase(),
            });
        };
        self.policy.check(args)?;
        self.write.clear();
        encode_command(&mut self.write, args);
        self.begin()?;
        self.flush().await?;
        self.state = State::Ready;
        self.session_changed = true;
        self.subscriptions.intend(kind, names);
        Ok(())
    }

    /// Writes pre-encoded RESP as it is and reads `replies` raw replies (the
    /// nginx redis2 model). The bytes are not inspected: disabled commands
    /// are not refused here.
    pub async fn send_raw(&mut self, bytes: &[u8], replies: usize) -> Result<Vec<Frame>, Error> {
        self.begin()?;
        self.flush_bytes(bytes).await?;
        let mut frames = Vec::with_capacity(replies);
        for _ in 0..replies {
            frames.push(self.next_reply(None).await?);
        }
        self.state = State::Ready;
        Ok(frames)
    }

    /// Loads a Lua script (`SCRIPT LOAD`) and remembers its SHA1 under `name`.
    pub async fn load_script(&mut self, name: &str, source: &str) -> Result<String, Error> {
        let sha = script::loaded_sha(&self.cmd(&("SCRIPT", "LOAD", source)).await?)?;
        self.scripts
            .insert(name.to_owned(), (source.to_owned(), sha.clone()));
        Ok(sha)
    }

    /// Runs a loaded script by SHA1 (`EVALSHA`); when the server has lost
    /// it (`NOSCRIPT`), loads it again and retries once.
    pub async fn run_script<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        name: &str,
        keys: &[K],
        args: &[V],
    ) -> Result<Frame, Error> {
        let Some((source, sha)) = self.scripts.get(name).cloned() else {
            return Err(script::unknown(name));
        };
        let result = self.cmd(&script::evalsha(&sha, keys, args)).await;
        if !script::is_noscript(&result) {
            return result;
        }
        let sha = self.load_script(name, &source).await?;
        self.cmd(&script::evalsha(&sha, keys, args)).await
    }

    /// Whether this connection refuses the command `name` (any case)
    /// before sending it: disabled by configuration, or unsupported in
    /// proxy mode.
    pub fn refuses(&self, name: &[u8]) -> bool {
        self.policy.refuses(name)
    }

    /// Changes how long a read may wait (`None`: as long as it takes): a
    /// pub/sub connection waits for messages, which come when they come.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// The commands that subscribe another connection to what this one is
    /// subscribed to (`SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE`, each with its
    /// names, in no particular order): to subscribe again after a reconnect.
    pub fn resubscriptions(&self) -> Vec<Vec<Vec<u8>>> {
        ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"]
            .iter()
            .zip(&self.subscriptions.names)
            .filter(|(_, names)| !names.is_empty())
            .map(|(command, names)| {
                std::iter::once(command.as_bytes().to_vec())
                    .chain(names.iter().cloned())
                    .collect()
            })
            .collect()
    }

    /// Whether the connection refuses requests for good.
    pub fn is_broken(&self) -> bool {
        self.state != State::Ready
    }

    /// Whether another caller may be given this connection: not broken,
    /// not inside `MULTI`, watching no keys, not subscribed to channels, its
    /// settings unchanged, and its server has not answered `READONLY` or
    /// `LOADING`.
    pub fn is_reusable(&self) -> bool {
        !self.is_broken()
            && !self.in_transaction
            && !self.watching
            && !self.subscriptions.any()
            && !self.stale_role
            && !self.session_changed
    }

    /// Whether the server closed or reset the connection while it sat idle,
    /// probed with a non-blocking `MSG_PEEK` on the socket itself (not
    /// tokio's cached readiness, which only the reactor refreshes): a peek
    /// that would block, or that sees bytes, means it is alive. Nothing is
    /// consumed, so it is safe under TLS too.
    pub fn closed_by_peer(&mut self) -> bool {
        let socket = match &self.transport {
            Transport::Tcp(stream) => socket2::SockRef::from(stream),
            Transport::Unix(stream) => socket2::SockRef::from(stream),
            Transport::Tls(stream) => socket2::SockRef::from(stream.get_ref().0),
        };
        let gone = match socket.peek(&mut [std::mem::MaybeUninit::uninit(); 1]) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        };
        if gone {
            self.state = State::Broken;
        }
        gone
    }

    /// The server, as errors name it.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Marks a request in flight, refusing if the connection is unusable.
    fn begin(&mut self) -> Result<(), Error> {
        match self.state {
            State::Ready => {
                self.state = State::Busy;
                Ok(())
            }
            // A request future was dropped mid-flight: its reply may still come.
            State::Busy | State::Broken => {
                self.state = State::Broken;
                Err(Error::Broken {
                    endpoint: self.endpoint.clone(),
                })
            }
        }
    }

    /// Writes requests without reading their replies (for a shared
    /// connection, which reads them with [`next_frame`](Self::next_frame)).
    pub(crate) async fn write_requests(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.flush_bytes(bytes).await
    }

    /// The next frame, whatever it answers; cancel-safe (for a shared
    /// connection).
    pub(crate) async fn next_frame(&mut self) -> Result<Frame, Error> {
        self.read_frame().await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        let bytes = std::mem::take(&mut self.write);
        let result = self.flush_bytes(&bytes).await;
        self.write = bytes;
        result
    }

    async fn flush_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let transport = &mut self.transport;
        let write = async {
            transport.write_all(bytes).await?;
            transport.flush().await
        };
        let result = with_timeout(self.send_timeout, write).await;
        self.fail_on(result, Phase::Send)
    }

    /// The next reply to a request. RESP3 pushes are set aside for
    /// [`read`](Self::read); while a (un)subscribe command awaits its
    /// confirmation, so are messages that arrive before it.
    async fn next_reply(&mut self, awaiting: Option<Subscription>) -> Result<Frame, Error> {
        loop {
            let frame = self.read_frame().await?;
            let aside = match awaiting {
                Some(kind) => !kind.confirms(&frame) && error_message(&frame).is_none(),
                None => matches!(frame, Frame::Push(_)),
            };
            if aside {
                self.pushes.push_back(frame);
                continue;
            }
            return Ok(frame);
        }
    }

    async fn read_frame(&mut self) -> Result<Frame, Error> {
        let (transport, decoder, read) = (&mut self.transport, &mut self.decoder, &mut self.read);
        let receive = async {
            loop {
                if let Some(frame) = decoder.decode_bytes(read).map_err(Received::Protocol)? {
                    return Ok(frame);
                }
                read.reserve(READ_CHUNK);
                if transport.read_buf(read).await.map_err(Received::Io)? == 0 {
                    return Err(Received::Io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "connection closed by the server",
                    )));
                }
            }
        };
        let outcome = match self.read_timeout {
            Some(after) => tokio::time::timeout(after, receive)
                .await
                .unwrap_or(Err(Received::Timeout(after))),
            None => receive.await,
        };
        outcome.map_err(|e| {
            self.state = State::Broken;
            let endpoint = self.endpoint.clone();
            match e {
                Received::Io(source) => Error::Io {
                    phase: Phase::Read,
                    endpoint,
                    source,
                },
                Received::Protocol(source) => Error::Protocol { endpoint, source },
                Received::Timeout(after) => Error::Timeout {
                    phase: Phase::Read,
                    endpoint,
                    after,
                },
            }
        })
    }

    fn fail_on(
        &mut self,
        result: Result<std::io::Result<()>, Duration>,
        phase: Phase,
    ) -> Result<(), Error> {
        let endpoint = || self.endpoint.clone();
        let error = match result {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(source)) => Error::Io {
                phase,
                endpoint: endpoint(),
                source,
            },
            Err(after) => Error::Timeout {
                phase,
                endpoint: endpoint(),
                after,
            },
        };
        self.state = State::Broken;
        Err(error)
    }
}

/// How reading a reply went wrong.
enum Received {
    Io(std::io::Error),
    Protocol(redwire_resp::DecodeError),
    Timeout(Duration),
}

/// Runs `future` within `timeout`; `Err(timeout)` when it expires.
async fn with_timeout<T>(
    timeout: Option<Duration>,
    future: impl Future<Output = T>,
) -> Result<T, Duration> {
    match timeout {
        Some(after) => tokio::time::timeout(after, future).await.map_err(|_| after),
        None => Ok(future.await),
    }
}

/// The message of an error reply (`-` or `!`).
pub(crate) fn error_message(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::Error(b) | Frame::BulkError(b) => Some(b),
        _ => None,
    }
}

/// A command's name and argument count, and whether it (un)subscribes.
struct Shape {
    name: Vec<u8>,
    count: usize,
    subscription: Option<Subscription>,
    /// `Some(true)` for `MULTI`, `Some(false)` for `EXEC` and `DISCARD`.
    transaction: Option<bool>,
    /// `Some(true)` for `WATCH`, `Some(false)` for `UNWATCH`, `EXEC`, `DISCARD`.
    watch: Option<bool>,
    /// Whether it changes the connection's settings (see [`changes_session`]).
    changes_session: bool,
}

impl Shape {
    fn of<A: Args + ?Sized>(args: &A) -> Self {
        let mut shape = Self {
            name: Vec::new(),
            count: 0,
            subscription: None,
            transaction: None,
            watch: None,
            changes_session: false,
        };
        let mut client = false;
        args.for_each_arg(&mut |arg| {
            if shape.count == 0 {
                shape.subscription = Subscription::of(arg);
                shape.transaction = transaction_effect(arg);
                shape.watch = watch_effect(arg);
                shape.changes_session = changes_session(arg);
                client = arg.eq_ignore_ascii_case(b"CLIENT");
                if tracing::enabled!(tracing::Level::TRACE) {
                    shape.name = arg.to_vec();
                }
            } else if shape.count == 1 && client {
                shape.changes_session = CLIENT_SESSION_SUBCOMMANDS
                    .iter()
                    .any(|sub| sub.as_bytes().eq_ignore_ascii_case(arg));
            }
            shape.count += 1;
        });
        shape
    }
}

/// The (un)subscribe commands, whose confirmations come one per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subscription(&'static str);

impl Subscription {
    const KINDS: [&'static str; 6] = [
        "subscribe",
        "psubscribe",
        "ssubscribe",
        "unsubscribe",
        "punsubscribe",
        "sunsubscribe",
    ];

    /// The kind a command name (any case) is, if any.
    pub(crate) fn of(name: &[u8]) -> Option<Self> {
        Self::KINDS
            .iter()
            .find(|kind| kind.as_bytes().eq_ignore_ascii_case(name))
            .map(|kind| Self(kind))
    }

    fn is_unsubscribe(self) -> bool {
        self.0.ends_with("unsubscribe")
    }

    /// Whether `frame` is a confirmation of this kind.
    fn confirms(self, frame: &Frame) -> bool {
        let (Frame::Array(items) | Frame::Push(items)) = frame else {
            return false;
        };
        items
            .first()
            .and_then(Frame::as_bytes)
            .is_some_and(|kind| kind.eq_ignore_ascii_case(self.0.as_bytes()))
    }
}

/// The `CLIENT` subcommands that change a connection's settings.
const CLIENT_SESSION_SUBCOMMANDS: [&str; 5] =
    ["SETNAME", "TRACKING", "REPLY", "NO-EVICT", "NO-TOUCH"];

/// Whether a command (by name, any case) changes what the connection's
/// configuration chose: its database, user, protocol or role
/// (`SELECT`, `AUTH`, `HELLO`, `RESET`, `READONLY`, `READWRITE`). A pool
/// closes such a connection instead of handing it out again.
pub(crate) fn changes_session(name: &[u8]) -> bool {
    ["SELECT", "AUTH", "HELLO", "RESET", "READONLY", "READWRITE"]
        .iter()
        .any(|command| command.as_bytes().eq_ignore_ascii_case(name))
}

/// Whether a command (by name, any case) opens (`MULTI`) or closes (`EXEC`,
/// `DISCARD`) a transaction.
pub(crate) fn transaction_effect(name: &[u8]) -> Option<bool> {
    if name.eq_ignore_ascii_case(b"MULTI") {
        Some(true)
    } else if name.eq_ignore_ascii_case(b"EXEC") || name.eq_ignore_ascii_case(b"DISCARD") {
        Some(false)
    } else {
        None
    }
}

/// Whether a command (by name, any case) watches keys (`WATCH`) or ends
/// every watch (`UNWATCH`, `EXEC`, `DISCARD`).
pub(crate) fn watch_effect(name: &[u8]) -> Option<bool> {
    if name.eq_ignore_ascii_case(b"WATCH") {
        Some(true)
    } else if ["UNWATCH", "EXEC", "DISCARD"]
        .iter()
        .any(|command| command.as_bytes().eq_ignore_ascii_case(name))
    {
        Some(false)
    } else {
        None
    }
}

/// The channels, patterns and shard channels a connection is subscribed
/// to, as its confirmations reported them.
#[derive(Debug, Default)]
struct Subscriptions {
    /// By family: channels, patterns, shard channels.
    names: [std::collections::HashSet<Vec<u8>>; 3],
}

impl Subscriptions {
    /// The family of a (un)subscribe kind.
    fn family(kind: &[u8]) -> Option<usize> {
        match kind.to_ascii_lowercase().as_slice() {
            b"subscribe" | b"unsubscribe" => Some(0),
            b"psubscribe" | b"punsubscribe" => Some(1),
            b"ssubscribe" | b"sunsubscribe" => Some(2),
            _ => None,
        }
    }

    /// Notes a confirmation: `[kind, name, count]`.
    fn note(&mut self, frame: &Frame) {
        let (Frame::Array(items) | Frame::Push(items)) = frame else {
            return;
        };
        let (Some(kind), Some(name)) = (
            items.first().and_then(Frame::as_bytes),
            items.get(1).and_then(Frame::as_bytes),
        ) else {
            return;
        };
        let Some(family) = Self::family(kind) else {
            return;
        };
        if kind.to_ascii_lowercase().ends_with(b"unsubscribe") {
            self.names[family].remove(name);
        } else {
            self.names[family].insert(name.to_vec());
        }
    }

    /// Notes what a (un)subscribe command of `kind` asks for: `names`
    /// subscribed to, or unsubscribed from (every one of the family when
    /// none is named).
    fn intend(&mut self, kind: Subscription, names: &[Vec<u8>]) {
        let Some(family) = Self::family(kind.0.as_bytes()) else {
            return;
        };
        let subscribed = &mut self.names[family];
        if !kind.is_unsubscribe() {
            subscribed.extend(names.iter().cloned());
        } else if names.is_empty() {
            subscribed.clear();
        } else {
            for name in names {
                subscribed.remove(name);
            }
        }
    }

    /// How many subscriptions of `kind`'s family there are.
    fn count(&self, kind: Subscription) -> usize {
        Self::family(kind.0.as_bytes()).map_or(0, |family| self.names[family].len())
    }

    /// Whether any subscription is left.
    fn any(&self) -> bool {
        self.names.iter().any(|names| !names.is_empty())
    }
}
