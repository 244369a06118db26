//! One connection to one server: handshake, commands, pipelines, pub/sub,
//! raw RESP, scripts. Requests are strictly one at a time (`&mut self`).

mod handshake;
mod subscriptions;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::ops::ControlFlow;
use std::time::Duration;

use bytes::BytesMut;
use redwire_resp::{encode_command, Args, Decoder, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::Instrument;

use crate::command::pipeline::Pipeline;
use crate::command::policy::Policy;
use crate::command::{script, Effects, ReplyMode, Subscription};
use crate::config::{Config, Endpoint, Protocol};
use crate::error::{ConfigError, Error, Phase, PhaseTracker, ServerError};
use crate::transport::{self, Transport};
use subscriptions::Subscriptions;

/// Bytes reserved in the read buffer before each socket read.
const READ_CHUNK: usize = 16 * 1024;

/// At most this many frames that came while a reply was awaited (RESP3
/// pushes, pub/sub messages, confirmations) wait for [`Connection::read`];
/// beyond it the oldest are dropped, and `read` says how many with
/// [`Error::Lagged`].
pub const MAX_SET_ASIDE: usize = 16 * 1024;

/// What a pipeline's replies are: each command's reply or error reply.
pub(crate) type Replies = Vec<Result<Frame, ServerError>>;

/// The one reply of a one-command request, an error reply as
/// [`Error::Server`].
pub(crate) fn single(replies: Result<Replies, Error>) -> Result<Frame, Error> {
    replies?
        .pop()
        .ok_or(Error::EmptyCommand)?
        .map_err(Error::Server)
}

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
///
/// It keeps track of what its commands did to it (see
/// [`Effects`](crate::Effects)): a transaction, watched keys, subscriptions,
/// changed settings, suppressed replies (`CLIENT REPLY OFF|SKIP`, after
/// which the commands the server does not answer return a null frame).
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
    /// Frames that came while a reply was awaited, for [`Connection::read`].
    set_aside: VecDeque<Frame>,
    /// How many set-aside frames were dropped since `read` last said so.
    lagged: u64,
    /// Script name → (source, SHA1).
    scripts: HashMap<String, (String, String)>,
    /// Inside `MULTI`: queued commands belong to whoever opened it.
    in_transaction: bool,
    /// Keys are `WATCH`ed: the next `EXEC` depends on whoever watched them.
    watching: bool,
    /// The subscriptions: messages belong to whoever subscribed.
    subscriptions: Subscriptions,
    /// Whether the server answers the next commands (`CLIENT REPLY`).
    reply_mode: ReplyMode,
    /// Whether the connection speaks RESP3 (its configuration, or `HELLO`):
    /// pub/sub frames are then pushes, never arrays.
    resp3: bool,
    /// `MONITOR`, `SYNC`, `PSYNC` or `QUIT` ran: what comes is no reply.
    handed_over: bool,
    /// `ASKING` ran, and no command after it yet.
    asking: bool,
    /// The server answered `READONLY` or `LOADING`: it is no longer (or not
    /// yet) the server this connection was meant for.
    stale_role: bool,
    /// A command changed what the connection's settings chose (`SELECT`,
    /// `AUTH`, `HELLO`, `RESET`, `CLIENT SETNAME`, …): it is not the
    /// connection its pool hands out.
    session_changed: bool,
    /// Bytes read from the server so far.
    received: u64,
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

impl Connection {
    /// Connects to the one server `config` names (`host:port` or a socket
    /// path) and runs the handshake, all within the connect timeout. A
    /// sentinel's server is found by a [`Connector`](crate::Connector), a
    /// cluster's nodes by a [`Cluster`](crate::Cluster).
    pub async fn connect(config: &Config) -> Result<Self, Error> {
        let endpoint = config.endpoint().to_string();
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
                            transport::tls::handshake(options, host, stream, &endpoint).await?,
                        ))
                    }
                    None => Transport::Tcp(stream),
                }
            }
            Endpoint::Unix(path) => {
                phase.set(Phase::Connect);
                Transport::Unix(transport::unix(path, &endpoint).await?)
            }
            Endpoint::Sentinel(_) | Endpoint::Cluster(_) => {
                return Err(ConfigError::invalid(
                    "endpoint",
                    "one server (host:port or a socket path): a sentinel's through \
                     redwire::Connector, a cluster's through redwire::Cluster",
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
            set_aside: VecDeque::new(),
            lagged: 0,
            scripts: HashMap::new(),
            in_transaction: false,
            watching: false,
            subscriptions: Subscriptions::default(),
            reply_mode: ReplyMode::On,
            resp3: config.protocol == Protocol::Resp3,
            handed_over: false,
            asking: false,
            stale_role: false,
            session_changed: false,
            received: 0,
        };
        connection.handshake(config, phase).await?;
        Ok(connection)
    }

    /// Writes the handshake commands at once and checks each reply in order.
    async fn handshake(&mut self, config: &Config, phase: &PhaseTracker) -> Result<(), Error> {
        let steps = handshake::steps(config);
        let Some((first, _)) = steps.first() else {
            return Ok(());
        };
        phase.set(*first);
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
            let reply = self.next_reply().await?;
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

    /// Applies what `config` says of the client's side, which the server
    /// never sees: the send and read timeouts, the refused commands
    /// (disabled ones, a proxy's unsupported ones), and the socket's
    /// dead-peer detection. A pool applies them at
    /// each checkout, so connections made with other such settings serve
    /// this configuration too.
    pub fn configure(&mut self, config: &Config) {
        self.send_timeout = config.send_timeout;
        self.read_timeout = config.read_timeout;
        self.policy = Policy::new(config);
        self.transport.detect_dead_peers(config);
    }

    /// Runs one command: its reply, with a null reply as a null frame and an
    /// error reply as [`Error::Server`].
    ///
    /// A (un)subscribe command returns its first confirmation; the others
    /// come from [`read`](Self::read), as the messages do.
    ///
    /// ```no_run
    /// # async fn demo(connection: &mut redwire::Connection) -> Result<(), redwire::Error> {
    /// connection.cmd(&("SET", "greeting", "hello")).await?;
    /// let value = connection.cmd(&("GET", "greeting")).await?;
    /// assert_eq!(value.as_bytes(), Some(&b"hello"[..]));
    /// # Ok(()) }
    /// ```
    pub async fn cmd<A: Args + ?Sized>(&mut self, args: &A) -> Result<Frame, Error> {
        let effects = Effects::of(args);
        if effects.words() == 0 {
            return Err(Error::EmptyCommand);
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            // The command name only: arguments may hold secrets.
            let mut name = String::new();
            args.for_each_arg(&mut |arg| {
                if name.is_empty() {
                    name = String::from_utf8_lossy(arg).into_owned();
                }
            });
            tracing::trace!(endpoint = %self.endpoint, command = %name, "command");
        }
        self.policy.check(args)?;
        self.ahead().admit(&effects, || {
            let mut name = String::new();
            args.for_each_arg(&mut |arg| {
                if name.is_empty() {
                    name = String::from_utf8_lossy(arg).to_ascii_uppercase();
                }
            });
            name
        })?;
        if let Some(kind) = effects.subscription() {
            return self.subscribe(kind, args).await;
        }
        self.write.clear();
        encode_command(&mut self.write, args);
        self.begin()?;
        self.flush().await?;
        let reply = self.reply_to(&effects).await?;
        self.state = State::Ready;
        match error_message(&reply) {
            Some(message) => Err(Error::Server(self.server_error(message))),
            None => Ok(reply),
        }
    }

    /// The reply to a written command with `effects` (a null frame when the
    /// server does not answer it), with what the command did noted.
    async fn reply_to(&mut self, effects: &Effects) -> Result<Frame, Error> {
        let (answered, mode) = self.reply_mode.answers(effects);
        self.reply_mode = mode;
        let reply = if answered {
            self.next_reply().await?
        } else {
            Frame::Null
        };
        if let Some(opens) = effects.transaction() {
            // `MULTI` nested or not, `EXEC` and `DISCARD` however answered.
            self.in_transaction = opens;
        }
        if let Some(watches) = effects.watch() {
            // A refused `EXEC` (no `MULTI`) leaves the keys watched; an
            // aborted one does not.
            if error_message(&reply).is_none_or(|m| m.starts_with(b"EXECABORT")) {
                self.watching = watches;
            }
        }
        // ASKING applies to the next command, whatever its reply: then it
        // is gone.
        self.asking = effects.asking() && error_message(&reply).is_none();
        if error_message(&reply).is_none() {
            self.handed_over |= effects.takes_connection();
            self.session_changed |= effects.changes_session();
            if let Some(resp3) = effects.hello() {
                self.resp3 = resp3;
            }
            if effects.resets() {
                self.subscriptions.clear();
                self.resp3 = false;
            }
        }
        Ok(reply)
    }

    /// Takes back what [`send_subscription`](Self::send_subscription)
    /// noted for a subscribe command the server refused with an error
    /// reply (it sends no confirmation then): it is not subscribed again
    /// after a reconnect.
    pub fn subscription_refused<A: Args + ?Sized>(&mut self, args: &A) {
        if let Some(kind) = Effects::of(args).subscription().filter(|k| k.subscribes()) {
            let names = Self::names(args);
            self.subscriptions.refused(kind, &names, names.len());
        }
    }

    /// Sends a (un)subscribe command and reads its first confirmation; its
    /// other confirmations are set aside for [`read`](Self::read).
    async fn subscribe<A: Args + ?Sized>(
        &mut self,
        kind: Subscription,
        args: &A,
    ) -> Result<Frame, Error> {
        let names = Self::names(args);
        let confirmations = self.subscriptions.confirmations(kind, names.len());
        self.write.clear();
        encode_command(&mut self.write, args);
        self.begin()?;
        self.flush().await?;
        self.subscriptions.intend(kind, &names);
        let first = self.next_confirmation(kind).await?;
        if let Some(message) = error_message(&first) {
            self.subscriptions.refused(kind, &names, confirmations);
            self.state = State::Ready;
            return Err(Error::Server(ServerError::new(message)));
        }
        for _ in 1..confirmations {
            let confirmation = self.next_confirmation(kind).await?;
            self.put_aside(confirmation);
        }
        self.state = State::Ready;
        Ok(first)
    }

    /// How many confirmations the server sends for the (un)subscribe
    /// command `args` if it is sent now (none for another command).
    pub(crate) fn confirmations<A: Args + ?Sized>(&self, args: &A) -> usize {
        Effects::of(args).subscription().map_or(0, |kind| {
            self.subscriptions
                .confirmations(kind, Self::names(args).len())
        })
    }

    /// The arguments after a command's name.
    fn names<A: Args + ?Sized>(args: &A) -> Vec<Vec<u8>> {
        let mut names = Vec::new();
        let mut first = true;
        args.for_each_arg(&mut |arg| {
            if !std::mem::take(&mut first) {
                names.push(arg.to_vec());
            }
        });
        names
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

    /// Sends every queued command in one write and reads one reply per
    /// command, in order; an error reply stays in its place. An I/O error
    /// fails the whole call. An empty pipeline sends nothing.
    ///
    /// An [atomic](Pipeline::atomic) pipeline is sent between `MULTI` and
    /// `EXEC`: its replies are theirs too (`OK`, `QUEUED` for each command,
    /// then `EXEC`'s array).
    pub async fn pipeline(&mut self, pipeline: &Pipeline) -> Result<Replies, Error> {
        let pipeline = &*pipeline.wrapped();
        pipeline.check(&self.policy)?;
        if pipeline.is_empty() {
            return Ok(Vec::new());
        }
        // Most pipelines: one reply per command, nothing to follow.
        let plain = pipeline.is_plain() && self.reply_mode == ReplyMode::On && !self.handed_over;
        if !plain {
            let mut ahead = self.ahead();
            for command in pipeline.commands() {
                ahead.admit(&command.effects, || command.upper_name())?;
            }
        }
        tracing::trace!(endpoint = %self.endpoint, commands = pipeline.len(), "pipeline");
        self.begin()?;
        self.flush_bytes(pipeline.bytes()).await?;
        let mut replies = Vec::with_capacity(pipeline.len());
        if plain {
            for _ in 0..pipeline.len() {
                let reply = self.next_reply().await?;
                replies.push(match error_message(&reply) {
                    Some(message) => Err(self.server_error(message)),
                    None => Ok(reply),
                });
            }
        } else {
            for command in pipeline.commands() {
                let reply = self.reply_to(&command.effects).await?;
                replies.push(match error_message(&reply) {
                    Some(message) => Err(self.server_error(message)),
                    None => Ok(reply),
                });
            }
        }
        self.state = State::Ready;
        Ok(replies)
    }

    /// Reads one raw frame: a pub/sub message or confirmation, a `MONITOR`
    /// line, a RESP3 push; first those that came while a reply was awaited.
    /// Waits up to the read timeout (none by default). Cancel-safe: dropping
    /// it before a frame arrives loses nothing, so it can sit in a
    /// `select!` loop.
    ///
    /// When more than [`MAX_SET_ASIDE`] frames came while replies were
    /// awaited, the oldest were dropped: the next `read` says how many with
    /// [`Error::Lagged`], once, and the connection stays usable. A read
    /// timeout here leaves it usable too (a subscriber's loop reads on);
    /// only a timeout waiting for a reply breaks it.
    pub async fn read(&mut self) -> Result<Frame, Error> {
        if self.lagged > 0 {
            return Err(Error::Lagged {
                endpoint: self.endpoint.clone(),
                dropped: std::mem::take(&mut self.lagged),
            });
        }
        if let Some(frame) = self.set_aside.pop_front() {
            return Ok(frame);
        }
        if self.state != State::Ready {
            self.state = State::Broken;
            return Err(Error::Broken {
                endpoint: self.endpoint.clone(),
            });
        }
        // No request waits for a reply here: a timeout loses nothing (the
        // frame begun stays in the buffer), and the connection stays usable.
        let frame = self.read_frame_until(false).await?;
        self.pushed(&frame);
        Ok(frame)
    }

    /// Writes a (un)subscribe command, a `PING` or `MONITOR`, and returns
    /// without reading: its confirmations (the pong, or `OK` then every
    /// command the server runs) come from [`read`](Self::read), in the
    /// order the server sent them among the messages (the model of a loop
    /// that reads every frame, as redis-py's `PubSub` and `Monitor`). What it asks for is noted at once (see
    /// [`resubscriptions`](Self::resubscriptions)), and the connection is
    /// not reusable after it: replies may be left unread. Any other command
    /// is refused with [`Error::NotSubscription`]: its reply would be read
    /// as a message.
    pub async fn send_subscription<A: Args + ?Sized>(&mut self, args: &A) -> Result<(), Error> {
        let effects = Effects::of(args);
        if effects.words() == 0 {
            return Err(Error::EmptyCommand);
        }
        let mut name = Vec::new();
        args.for_each_arg(&mut |arg| {
            if name.is_empty() {
                name = arg.to_ascii_uppercase();
            }
        });
        let kind = effects.subscription();
        if kind.is_none() && name != b"PING" && name != b"MONITOR" {
            return Err(Error::NotSubscription {
                command: String::from_utf8_lossy(&name).into_owned(),
            });
        }
        self.policy.check(args)?;
        self.ahead()
            .admit(&effects, || String::from_utf8_lossy(&name).into_owned())?;
        self.write.clear();
        encode_command(&mut self.write, args);
        self.begin()?;
        self.flush().await?;
        self.state = State::Ready;
        self.session_changed = true;
        // After MONITOR the connection sends what it likes: only read().
        self.handed_over |= effects.takes_connection();
        if let Some(kind) = kind {
            self.subscriptions.intend(kind, &Self::names(args));
        }
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
            frames.push(self.next_reply().await?);
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
            return Err(Error::UnknownScript {
                name: name.to_owned(),
            });
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

    /// Changes how long writing a request may take (`None`: as long as it
    /// takes).
    pub fn set_send_timeout(&mut self, timeout: Option<Duration>) {
        self.send_timeout = timeout;
    }

    /// The commands that subscribe another connection to what this one is
    /// subscribed to (`SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE`, each with its
    /// names, in no particular order): to subscribe again after a reconnect.
    pub fn resubscriptions(&self) -> Vec<Vec<Vec<u8>>> {
        self.subscriptions.resubscriptions()
    }

    /// Whether the connection refuses requests for good.
    pub fn is_broken(&self) -> bool {
        self.state != State::Ready
    }

    /// Whether another caller may be given this connection: not broken,
    /// not inside `MULTI`, watching no keys, not subscribed to channels, no
    /// frame left for [`read`](Self::read), its settings unchanged, and its
    /// server has not answered `READONLY` or `LOADING`.
    pub fn is_reusable(&self) -> bool {
        !self.is_broken()
            && !self.in_transaction
            && !self.watching
            && !self.subscriptions.active()
            && self.set_aside.is_empty()
            && self.lagged == 0
            && !self.handed_over
            && !self.asking
            && !self.stale_role
            && !self.session_changed
    }

    /// Whether the server closed or reset the connection while it sat idle,
    /// probed with a non-blocking `MSG_PEEK` on the socket itself (not
    /// tokio's cached readiness, which only the reactor refreshes): a peek
    /// that would block, or that sees bytes, means it is alive. Nothing is
    /// consumed, so it is safe under TLS too.
    pub fn closed_by_peer(&mut self) -> bool {
        let gone = self.transport.closed_by_peer();
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

    /// Bytes read from the server so far (a reply on its way counts before
    /// it is whole).
    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    /// Hands every frame the read buffer holds whole to `each`, in one
    /// pass, until it breaks, without reading (for a reader that takes
    /// every frame of one read at once); a frame the decoder refuses breaks
    /// the connection.
    pub(crate) fn buffered_frames(
        &mut self,
        each: impl FnMut(Frame) -> ControlFlow<()>,
    ) -> Result<(), Error> {
        let decoded = self.decoder.decode_bytes_each(&mut self.read, each);
        decoded.map_err(|source| {
            self.state = State::Broken;
            Error::Protocol {
                endpoint: self.endpoint.clone(),
                source,
            }
        })
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

    /// Keeps a frame for [`read`](Self::read), within [`MAX_SET_ASIDE`].
    fn put_aside(&mut self, frame: Frame) {
        if self.set_aside.len() >= MAX_SET_ASIDE {
            self.set_aside.pop_front();
            self.lagged += 1;
        }
        self.set_aside.push_back(frame);
    }

    /// The next reply to a request. RESP3 pushes, and while subscribed the
    /// RESP2 messages and confirmations, are set aside for
    /// [`read`](Self::read).
    async fn next_reply(&mut self) -> Result<Frame, Error> {
        loop {
            let frame = self.read_frame().await?;
            if self.pushed(&frame) {
                self.put_aside(frame);
                continue;
            }
            return Ok(frame);
        }
    }

    /// Whether `frame` is no reply to a command: a RESP3 push, or while
    /// subscribed on RESP2, a message or confirmation array. A confirmation
    /// is noted.
    fn pushed(&mut self, frame: &Frame) -> bool {
        match frame {
            Frame::Push(_) => {
                if self.subscriptions.active() {
                    self.subscriptions.take(frame);
                }
                true
            }
            Frame::Array(_) if !self.resp3 && self.subscriptions.active() => {
                self.subscriptions.take(frame)
            }
            _ => false,
        }
    }

    /// The next confirmation of a (un)subscribe command of `kind`, or an
    /// error reply; what comes before them is set aside.
    async fn next_confirmation(&mut self, kind: Subscription) -> Result<Frame, Error> {
        loop {
            let frame = self.read_frame().await?;
            if error_message(&frame).is_some() {
                return Ok(frame);
            }
            let confirms = match &frame {
                Frame::Array(items) | Frame::Push(items) => items
                    .first()
                    .and_then(Frame::as_bytes)
                    .is_some_and(|first| kind.confirmed_by(first)),
                _ => false,
            };
            if self.pushed(&frame) && confirms {
                return Ok(frame);
            }
            self.put_aside(frame);
        }
    }

    async fn read_frame(&mut self) -> Result<Frame, Error> {
        self.read_frame_until(true).await
    }

    /// The next frame within the read timeout; a timeout breaks the
    /// connection when `timeout_breaks` (a reply was due).
    async fn read_frame_until(&mut self, timeout_breaks: bool) -> Result<Frame, Error> {
        let (transport, decoder, read, received) = (
            &mut self.transport,
            &mut self.decoder,
            &mut self.read,
            &mut self.received,
        );
        let receive = async {
            loop {
                if let Some(frame) = decoder.decode_bytes(read).map_err(Received::Protocol)? {
                    return Ok(frame);
                }
                read.reserve(READ_CHUNK);
                let n = transport.read_buf(read).await.map_err(Received::Io)?;
                if n == 0 {
                    return Err(Received::Io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "connection closed by the server",
                    )));
                }
                *received += n as u64;
            }
        };
        let outcome = match self.read_timeout {
            Some(after) => tokio::time::timeout(after, receive)
                .await
                .unwrap_or(Err(Received::Timeout(after))),
            None => receive.await,
        };
        outcome.map_err(|e| {
            if timeout_breaks || !matches!(e, Received::Timeout(_)) {
                self.state = State::Broken;
            }
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

/// What the commands of a request will find on the connection, followed
/// through the request before anything is sent.
#[derive(Debug, Clone, Copy)]
struct Ahead {
    in_transaction: bool,
    reply_mode: ReplyMode,
    handed_over: bool,
}

impl Connection {
    fn ahead(&self) -> Ahead {
        Ahead {
            in_transaction: self.in_transaction,
            reply_mode: self.reply_mode,
            handed_over: self.handed_over,
        }
    }
}

impl Ahead {
    /// Refuses a command whose effect the connection could not follow, and
    /// notes what it leaves for the next: after `MONITOR` and the like,
    /// anything; inside `MULTI` (where it is queued, and takes effect within
    /// `EXEC`'s reply) or while replies are suppressed, a (un)subscribe,
    /// `CLIENT REPLY`, `MONITOR`.
    fn admit(&mut self, effects: &Effects, name: impl FnOnce() -> String) -> Result<(), Error> {
        let refused = |reason| Error::Unsupported {
            command: name(),
            reason,
        };
        if self.handed_over {
            return Err(refused(
                "after MONITOR, SYNC, PSYNC or QUIT (read() what the connection sends)",
            ));
        }
        if self.in_transaction && effects.needs_an_answer() {
            return Err(refused(
                "inside MULTI, where its effect would come within EXEC's reply",
            ));
        }
        let (answered, mode) = self.reply_mode.answers(effects);
        if !answered && (effects.subscription().is_some() || effects.takes_connection()) {
            return Err(refused("while CLIENT REPLY suppresses replies"));
        }
        self.reply_mode = mode;
        if let Some(opens) = effects.transaction() {
            self.in_transaction = opens;
        }
        self.handed_over |= effects.takes_connection();
        Ok(())
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
