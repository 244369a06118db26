//! Errors: of configuration, and of connecting and talking to a server.

use std::fmt;

/// A configuration or DSN that cannot be used, naming the field and the rule.
///
/// A password's value never appears in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field's value breaks its rule, e.g. port `70000`: "an integer 1..65535".
    Invalid {
        /// The field, as named in DSN query parameters and setters.
        field: &'static str,
        /// What the value must be.
        rule: &'static str,
        /// The value given (`***` for secrets).
        value: String,
    },
    /// A DSN that cannot be parsed: which part is wrong, and why.
    Dsn {
        /// The part of the DSN, e.g. "scheme", "port", "query parameter".
        part: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        field: &'static str,
        rule: &'static str,
        value: impl fmt::Display,
    ) -> Self {
        Self::Invalid {
            field,
            rule,
            value: value.to_string(),
        }
    }

    pub(crate) fn dsn(part: &'static str, reason: impl Into<String>) -> Self {
        Self::Dsn {
            part,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { field, rule, value } => {
                write!(f, "invalid {field}: must be {rule}, got {value:?}")
            }
            Self::Dsn { part, reason } => write!(f, "invalid DSN {part}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The step of talking to a server that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Resolving the host name.
    Resolve,
    /// Opening the TCP or unix socket.
    Connect,
    /// The TLS handshake.
    Tls,
    /// `AUTH` (or `HELLO … AUTH`).
    Auth,
    /// `SELECT`.
    Select,
    /// The other handshake commands (`HELLO`, `CLIENT SETNAME`).
    Handshake,
    /// `CLIENT TRACKING ON`: a client-side cache's connection.
    Tracking,
    /// Writing a request.
    Send,
    /// Reading a reply.
    Read,
}

impl Phase {
    const ALL: [Self; 9] = [
        Self::Resolve,
        Self::Connect,
        Self::Tls,
        Self::Auth,
        Self::Select,
        Self::Handshake,
        Self::Tracking,
        Self::Send,
        Self::Read,
    ];
}

/// The phase a connect attempt is in, readable when its timeout fires.
/// Atomic so that the connect future stays `Send`.
#[derive(Debug)]
pub(crate) struct PhaseTracker(std::sync::atomic::AtomicU8);

impl PhaseTracker {
    pub(crate) fn new(phase: Phase) -> Self {
        Self(std::sync::atomic::AtomicU8::new(phase as u8))
    }

    pub(crate) fn set(&self, phase: Phase) {
        self.0
            .store(phase as u8, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Phase {
        let index = usize::from(self.0.load(std::sync::atomic::Ordering::Relaxed));
        Phase::ALL.get(index).copied().unwrap_or(Phase::Connect)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Resolve => "resolve",
            Self::Connect => "connect",
            Self::Tls => "TLS handshake",
            Self::Auth => "auth",
            Self::Select => "select",
            Self::Handshake => "handshake",
            Self::Tracking => "client tracking (for the cache)",
            Self::Send => "send",
            Self::Read => "read",
        })
    }
}

/// An error reply from the server, e.g. `WRONGTYPE Operation against a key…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    message: String,
}

impl ServerError {
    pub(crate) fn new(message: &[u8]) -> Self {
        Self {
            message: String::from_utf8_lossy(message).into_owned(),
        }
    }

    /// This error with `cause`'s message after it (an `EXECABORT` and the
    /// refusal that discarded the transaction).
    pub(crate) fn because(self, cause: &Self) -> Self {
        Self {
            message: format!("{}: {}", self.message.trim_end_matches('.'), cause.message),
        }
    }

    /// The whole message, as the server sent it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error code: the message's first word (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `MOVED`, …).
    pub fn code(&self) -> &str {
        self.message.split(' ').next().unwrap_or_default()
    }

    /// The kind of error its code names.
    ///
    /// ```
    /// # use redwire::{Error, ServerErrorKind};
    /// # async fn demo(client: &redwire::Client) {
    /// use redwire::Commands;
    /// match client.incr::<i64>("a-list", 1).await {
    ///     Err(Error::Server(e)) if e.kind() == ServerErrorKind::WrongType => {}
    ///     _ => {}
    /// }
    /// # }
    /// ```
    pub fn kind(&self) -> ServerErrorKind {
        use ServerErrorKind as K;
        match self.code() {
            "WRONGTYPE" => K::WrongType,
            "NOSCRIPT" => K::NoScript,
            "READONLY" => K::ReadOnly,
            "LOADING" => K::Loading,
            "BUSY" => K::Busy,
            "NOPERM" => K::NoPerm,
            "NOAUTH" => K::NoAuth,
            "WRONGPASS" => K::WrongPass,
            "EXECABORT" => K::ExecAbort,
            "OOM" => K::Oom,
            "MOVED" => K::Moved,
            "ASK" => K::Ask,
            "TRYAGAIN" => K::TryAgain,
            "CLUSTERDOWN" => K::ClusterDown,
            "CROSSSLOT" => K::CrossSlot,
            "MASTERDOWN" => K::MasterDown,
            "ERR" => K::Err,
            _ => K::Other,
        }
    }
}

/// What an error reply says went wrong, by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerErrorKind {
    /// `ERR`: a generic error (syntax, arity, an out-of-range value…).
    Err,
    /// `WRONGTYPE`: the key holds another type.
    WrongType,
    /// `NOSCRIPT`: no script with this SHA1.
    NoScript,
    /// `READONLY`: a write sent to a replica (a demoted master).
    ReadOnly,
    /// `LOADING`: the server is loading its dataset.
    Loading,
    /// `BUSY`: a script or function is running too long.
    Busy,
    /// `NOPERM`: the ACL user may not run it.
    NoPerm,
    /// `NOAUTH`: authentication is required.
    NoAuth,
    /// `WRONGPASS`: wrong user or password.
    WrongPass,
    /// `EXECABORT`: a transaction discarded for an error as it was queued.
    ExecAbort,
    /// `OOM`: over `maxmemory`.
    Oom,
    /// `MOVED`: the slot is served elsewhere (a cluster).
    Moved,
    /// `ASK`: the slot is being migrated (a cluster).
    Ask,
    /// `TRYAGAIN`: a multi-key command during a slot migration.
    TryAgain,
    /// `CLUSTERDOWN`: the cluster cannot serve.
    ClusterDown,
    /// `CROSSSLOT`: keys in more than one slot.
    CrossSlot,
    /// `MASTERDOWN`: a replica whose master link is down.
    MasterDown,
    /// Any other code (a module's).
    Other,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServerError {}

/// Why a connection or a request failed: the phase, and for which endpoint.
///
/// Credentials never appear in it. Beside its variant, an error says
/// whether it [is a timeout](Self::is_timeout), whether it [may be
/// retried](Self::is_retryable) and whether the request [may have been
/// applied](Self::may_have_been_applied); an error reply's
/// [kind](ServerError::kind) names its code.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot be used.
    Config(ConfigError),
    /// An I/O error in `phase` (a reset, a refused connection, a certificate
    /// the TLS handshake rejected, the server closing the connection).
    Io {
        /// Where it happened.
        phase: Phase,
        /// The server, as `host:port` or a socket path.
        endpoint: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `phase` took longer than its timeout.
    Timeout {
        /// Where it happened.
        phase: Phase,
        /// The server.
        endpoint: String,
        /// The timeout that expired.
        after: std::time::Duration,
    },
    /// The server refused a handshake command (wrong password, unknown db…).
    Refused {
        /// `Auth`, `Select`, `Handshake` or `Tracking`.
        phase: Phase,
        /// The server.
        endpoint: String,
        /// The server's reply.
        reply: ServerError,
    },
    /// The server sent bytes that are not RESP; the connection is dropped.
    Protocol {
        /// The server.
        endpoint: String,
        /// What was wrong.
        source: redwire_resp::DecodeError,
    },
    /// The server answered the command with an error reply.
    Server(ServerError),
    /// The connection failed earlier, or a request on it was cancelled
    /// mid-flight, so its replies can no longer be matched to requests.
    Broken {
        /// The server.
        endpoint: String,
    },
    /// The command is disabled by configuration or proxy mode; nothing was sent.
    Disabled {
        /// The command, upper case.
        command: String,
    },
    /// Every host of a list failed; each host's error, in order.
    NoHosts(Vec<Error>),
    /// Sentinel discovery failed: an unknown master name, no sentinel
    /// reachable (each one's error), no healthy replica, or a server whose
    /// `ROLE` is not the one asked for.
    Sentinel(redwire_sentinel::SentinelError<Error>),
    /// A command with no arguments at all: the server would never answer it.
    EmptyCommand,
    /// A (un)subscribe command in a pipeline, whose replies cannot be
    /// counted there; send it with `cmd`.
    SubscribeInPipeline {
        /// The command, upper case.
        command: String,
    },
    /// A command given to [`Connection::send_subscription`] that is not a
    /// (un)subscribe command.
    ///
    /// [`Connection::send_subscription`]: crate::Connection::send_subscription
    NotSubscription {
        /// The command, upper case.
        command: String,
    },
    /// No pooled connection could be had: the pool could not connect, or
    /// none came free in time.
    Pool(Box<redwire_pool::PoolError<Error>>),
    /// A cluster redirected one command more times than allowed
    /// (`MOVED`/`ASK`), or kept answering `TRYAGAIN`/`CLUSTERDOWN`.
    Redirections {
        /// How many redirections or retries were allowed.
        limit: u32,
        /// The last reply.
        last: ServerError,
    },
    /// No node of the cluster serves this slot (the cluster is not whole).
    SlotUnserved {
        /// The slot.
        slot: u16,
    },
    /// A walk over a cluster's keys (`Cluster::scan`) met slots moving in
    /// each of its passes, up to the limit: keys that moved may have been
    /// missed. The keys it returned stand.
    SlotsKeptMoving {
        /// The passes made.
        passes: u32,
    },
    /// A shared connection had closed before the request was queued on it;
    /// nothing was sent.
    Closed {
        /// The server.
        endpoint: String,
    },
    /// A command that blocks or leaves state on its connection (a
    /// transaction, `WATCH`, `SELECT`, …) sent through a shared connection,
    /// or one that leaves state sent through a cluster; nothing was sent. It
    /// needs a connection of its own (`Client::connection`, a pool's, or
    /// `Cluster::connection_for` in a cluster).
    NeedsOwnConnection {
        /// The command, upper case.
        command: String,
    },
    /// A command whose reply only means something for one node (`SCAN`'s
    /// cursor) sent to a cluster as a whole; nothing was sent. Aim it with
    /// `Cluster::cmd_on`, or walk the keyspace with `Cluster::scan`.
    NeedsNode {
        /// The command, upper case.
        command: String,
    },
    /// A transaction sent to a cluster with keys of more than one slot,
    /// which no node can run; nothing was sent. (Hash tags, `{user:1}:a`,
    /// put keys in one slot.)
    CrossSlot {
        /// The first command whose key is in another slot, upper case.
        command: String,
    },
    /// No script was loaded under this name.
    UnknownScript {
        /// The name asked for.
        name: String,
    },
    /// The server answered a command the library sent with something that
    /// command never returns.
    UnexpectedReply {
        /// The command.
        command: &'static str,
        /// What came instead.
        reason: String,
    },
    /// More frames came while replies were awaited than a connection keeps
    /// for [`Connection::read`](crate::Connection::read); the oldest were
    /// dropped. The connection stays usable.
    Lagged {
        /// The server.
        endpoint: String,
        /// How many were dropped.
        dropped: u64,
    },
    /// A shared connection has as many requests queued or awaiting replies
    /// as it takes ([`MAX_QUEUED`](crate::MAX_QUEUED)); this one was not
    /// sent. (An async request waits for room instead.)
    QueueFull {
        /// The server.
        endpoint: String,
    },
    /// A shared connection was used outside a tokio runtime, which its
    /// task needs; nothing was sent.
    NoRuntime,
    /// A transaction did not run: a key it watched changed before `EXEC`
    /// (`EXEC` answered null). Nothing of it was applied; it may be tried
    /// again.
    Aborted,
    /// A reply could not be converted to the type asked for
    /// ([`FromFrame`](crate::FromFrame)); the connection stays usable.
    Conversion {
        /// The type asked for.
        expected: &'static str,
        /// What came: its type, and its start for a string.
        got: String,
    },
    /// A command whose effect on its connection could not be followed where
    /// it was asked for (a `SUBSCRIBE` inside `MULTI`, a command after
    /// `MONITOR`, …); nothing was sent.
    Unsupported {
        /// The command, upper case.
        command: String,
        /// Where it cannot run, and why.
        reason: &'static str,
    },
}

impl Error {
    /// Whether a timeout expired: connecting, sending, reading, or waiting
    /// for a pooled connection.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout { .. } => true,
            // Every host, every sentinel timed out.
            Self::NoHosts(errors) => !errors.is_empty() && errors.iter().all(Self::is_timeout),
            Self::Sentinel(redwire_sentinel::SentinelError::NoSentinel(errors)) => {
                !errors.is_empty() && errors.iter().all(|(_, e)| e.is_timeout())
            }
            Self::Pool(pool) => match &**pool {
                redwire_pool::PoolError::Exhausted { .. } => true,
                redwire_pool::PoolError::ConnectFailed(e) => e.is_timeout(),
                _ => false,
            },
            _ => false,
        }
    }

    /// A copy of this error for another request that met the same failure
    /// (a connection that could not be made fails every request queued on
    /// it): the same variant and classification; an I/O cause is copied as
    /// its kind and message.
    pub(crate) fn duplicate(&self) -> Self {
        use redwire_pool::PoolError as P;
        use redwire_sentinel::SentinelError as S;
        match self {
            Self::Config(e) => Self::Config(e.clone()),
            Self::Io {
                phase,
                endpoint,
                source,
            } => Self::Io {
                phase: *phase,
                endpoint: endpoint.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            Self::Timeout {
                phase,
                endpoint,
                after,
            } => Self::Timeout {
                phase: *phase,
                endpoint: endpoint.clone(),
                after: *after,
            },
            Self::Refused {
                phase,
                endpoint,
                reply,
            } => Self::Refused {
                phase: *phase,
                endpoint: endpoint.clone(),
                reply: reply.clone(),
            },
            Self::Server(e) => Self::Server(e.clone()),
            Self::Protocol { endpoint, source } => Self::Protocol {
                endpoint: endpoint.clone(),
                source: *source,
            },
            Self::Broken { endpoint } => Self::Broken {
                endpoint: endpoint.clone(),
            },
            Self::Closed { endpoint } => Self::Closed {
                endpoint: endpoint.clone(),
            },
            Self::QueueFull { endpoint } => Self::QueueFull {
                endpoint: endpoint.clone(),
            },
            Self::NoRuntime => Self::NoRuntime,
            Self::NoHosts(errors) => Self::NoHosts(errors.iter().map(Self::duplicate).collect()),
            Self::Sentinel(e) => Self::Sentinel(match e {
                S::InvalidMasterName(name) => S::InvalidMasterName(name.clone()),
                S::NoSentinel(errors) => S::NoSentinel(
                    errors
                        .iter()
                        .map(|(at, e)| (at.clone(), e.duplicate()))
                        .collect(),
                ),
                S::NoReplicas(name) => S::NoReplicas(name.clone()),
                S::RoleMismatch {
                    address,
                    expected,
                    actual,
                } => S::RoleMismatch {
                    address: address.clone(),
                    expected: expected.clone(),
                    actual: actual.clone(),
                },
                S::UnexpectedReply(text) => S::UnexpectedReply(text.clone()),
                other => S::UnexpectedReply(other.to_string()),
            }),
            Self::Pool(e) => Self::Pool(Box::new(match &**e {
                P::ConnectFailed(e) => P::ConnectFailed(e.clone()),
                P::Exhausted { last_connect_error } => P::Exhausted {
                    last_connect_error: last_connect_error.clone(),
                },
                P::Size(text) => P::Size(text.clone()),
                other => P::Size(other.to_string()),
            })),
            other => Self::Broken {
                endpoint: other.to_string(),
            },
        }
    }

    /// Whether no connection could be had for the request, so it surely
    /// was not sent: a server that could not be reached (resolving,
    /// connecting, TLS, a handshake timing out), no sentinel reachable to
    /// name it, a shared connection that had closed, no pooled connection
    /// in time.
    pub(crate) fn unreached(&self) -> bool {
        match self {
            Self::Closed { .. } => true,
            // No sentinel could name a server (a wrong master name, a reply
            // not understood, stay so: not these).
            Self::Sentinel(sentinel) => match sentinel {
                redwire_sentinel::SentinelError::NoSentinel(errors) => {
                    !errors.is_empty() && errors.iter().all(|(_, e)| e.unreached())
                }
                redwire_sentinel::SentinelError::NoReplicas(_)
                | redwire_sentinel::SentinelError::RoleMismatch { .. } => true,
                _ => false,
            },
            Self::Pool(pool) => match &**pool {
                redwire_pool::PoolError::ConnectFailed(e) => e.unreached(),
                redwire_pool::PoolError::Exhausted { .. } => true,
                _ => false,
            },
            // Failing while connecting, or the handshake timing out: the
            // request was not written yet. (An I/O error in the handshake
            // carries the send or read phase, and counts as written; a
            // refused handshake is not here: a wrong password stays wrong.)
            Self::Io { phase, .. } | Self::Timeout { phase, .. } => {
                !matches!(phase, Phase::Send | Phase::Read)
            }
            Self::NoHosts(errors) => !errors.is_empty() && errors.iter().all(Self::unreached),
            _ => false,
        }
    }

    /// Whether trying the same request again later may succeed and cannot
    /// apply it twice: it surely was not sent (no connection could be had,
    /// a full queue), or the server refused it for a passing state
    /// (`LOADING`, `BUSY`, `TRYAGAIN`, `CLUSTERDOWN`, `MASTERDOWN`,
    /// `READONLY` after a failover).
    pub fn is_retryable(&self) -> bool {
        use ServerErrorKind as K;
        match self {
            Self::Server(e) | Self::Redirections { last: e, .. } => matches!(
                e.kind(),
                K::Loading | K::Busy | K::TryAgain | K::ClusterDown | K::MasterDown | K::ReadOnly
            ),
            Self::QueueFull { .. } => true,
            other => other.unreached(),
        }
    }

    /// Whether the request may have reached the server and run although
    /// no reply says so: the connection failed or timed out while it was
    /// written or its reply awaited, or the reply could not be read. Such a
    /// request is never retried by the library: only its caller knows
    /// whether running it twice is harmless.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::Io { phase, .. } | Self::Timeout { phase, .. } => {
                matches!(phase, Phase::Send | Phase::Read)
            }
            Self::Broken { .. } | Self::Protocol { .. } => true,
            _ => false,
        }
    }

    /// Whether the connection that returned this error may still be used:
    /// after an error reply, a reply read whole, or a command refused before
    /// anything was sent.
    pub fn keeps_connection(&self) -> bool {
        matches!(
            self,
            Self::Server(_)
                | Self::Disabled { .. }
                | Self::EmptyCommand
                | Self::SubscribeInPipeline { .. }
                | Self::NotSubscription { .. }
                | Self::UnknownScript { .. }
                | Self::UnexpectedReply { .. }
                | Self::Lagged { .. }
                | Self::NeedsOwnConnection { .. }
                | Self::NeedsNode { .. }
                | Self::CrossSlot { .. }
                | Self::QueueFull { .. }
                | Self::NoRuntime
                | Self::Unsupported { .. }
                | Self::Conversion { .. }
                | Self::Aborted
                | Self::SlotsKeptMoving { .. }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(e) => e.fmt(f),
            Self::Io {
                phase,
                endpoint,
                source,
            } => write!(f, "{phase} failed for {endpoint}: {source}"),
            Self::Timeout {
                phase,
                endpoint,
                after,
            } => {
                write!(f, "{phase} timed out after {after:?} for {endpoint}")?;
                if *phase == Phase::Tls {
                    // A plaintext server waits silently for the end of a line
                    // that a TLS hello never sends.
                    f.write_str(" (does the server speak TLS on this port?)")?;
                }
                Ok(())
            }
            Self::Refused {
                phase,
                endpoint,
                reply,
            } => write!(f, "{phase} refused by {endpoint}: {reply}"),
            Self::Protocol { endpoint, source } => {
                write!(f, "protocol error from {endpoint}: {source}")
            }
            Self::Server(e) => e.fmt(f),
            Self::Broken { endpoint } => write!(
                f,
                "connection to {endpoint} is broken (an earlier request failed or was cancelled)"
            ),
            Self::Disabled { command } => write!(f, "command {command} is disabled"),
            Self::Sentinel(e) => e.fmt(f),
            Self::EmptyCommand => f.write_str("a command needs at least its name"),
            Self::SubscribeInPipeline { command } => {
                write!(f, "{command} cannot be pipelined: send it with cmd")
            }
            Self::NotSubscription { command } => {
                write!(f, "{command} is not a (un)subscribe command: send it with cmd")
            }
            Self::Pool(e) => e.fmt(f),
            Self::Redirections { limit, last } => {
                write!(
                    f,
                    "cluster gave up after {limit} redirections or retries: {last}"
                )
            }
            Self::SlotUnserved { slot } => write!(f, "no cluster node serves slot {slot}"),
            Self::SlotsKeptMoving { passes } => write!(
                f,
                "slots kept moving between the cluster's nodes for {passes} passes of a SCAN: keys that moved may have been missed"
            ),
            Self::Closed { endpoint } => write!(
                f,
                "the shared connection to {endpoint} had closed; nothing was sent"
            ),
            Self::NeedsOwnConnection { command } => write!(
                f,
                "{command} leaves state on its connection, which this client shares: hold a connection of your own for it (Client::connection, Cluster::connection_for), or send MULTI ... EXEC as one transaction (an atomic pipeline)"
            ),
            Self::NeedsNode { command } => write!(
                f,
                "{command} runs on one node of a cluster: aim it with Cluster::cmd_on, or use Cluster::scan"
            ),
            Self::CrossSlot { command } => write!(
                f,
                "{command}'s key is in another slot than the transaction's first key: a cluster runs a transaction on one slot; nothing was sent"
            ),
            Self::UnknownScript { name } => write!(f, "no script loaded under the name {name:?}"),
            Self::UnexpectedReply { command, reason } => {
                write!(f, "unexpected reply to {command}: {reason}")
            }
            Self::Lagged { endpoint, dropped } => write!(
                f,
                "{dropped} pushed frames from {endpoint} were dropped: read() did not keep up"
            ),
            Self::QueueFull { endpoint } => write!(
                f,
                "the shared connection to {endpoint} has as many requests waiting as it takes; nothing was sent"
            ),
            Self::NoRuntime => f.write_str(
                "a shared connection needs a tokio runtime: use it from within one; nothing was sent",
            ),
            Self::Unsupported { command, reason } => {
                write!(f, "{command} cannot run {reason}; nothing was sent")
            }
            Self::Aborted => f.write_str(
                "the transaction was aborted: a watched key changed before EXEC; nothing was applied",
            ),
            Self::Conversion { expected, got } => write!(f, "expected {expected}, got {got}"),
            Self::NoHosts(errors) => {
                f.write_str("no hosts available")?;
                for (i, e) in errors.iter().enumerate() {
                    write!(f, "{} {e}", if i == 0 { ":" } else { ";" })?;
                }
                Ok(())
            }
        }
    }
}

/// The cause of an error that adds context to it (the phase and endpoint
/// of an I/O error, the first host's error of a list). The variants that
/// show another error as it is (`Config`, `Server`, `Pool`, `Sentinel`)
/// are transparent: their cause is that error's cause, not that error
/// again.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Protocol { source, .. } => Some(source),
            Self::Refused { reply, .. } => Some(reply),
            Self::Pool(e) => e.source(),
            Self::Sentinel(e) => e.source(),
            Self::NoHosts(errors) => errors.first().map(|e| e as _),
            _ => None,
        }
    }
}

impl From<redwire_pool::PoolError<Error>> for Error {
    fn from(e: redwire_pool::PoolError<Error>) -> Self {
        Self::Pool(Box::new(e))
    }
}

/// For [`Client::connect`](crate::Client::connect) given a [`Config`](crate::Config).
impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<redwire_sentinel::SentinelError<Error>> for Error {
    fn from(e: redwire_sentinel::SentinelError<Error>) -> Self {
        Self::Sentinel(e)
    }
}
