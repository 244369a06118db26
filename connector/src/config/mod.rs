//! What to connect to and how: endpoint, credentials, database, TLS,
//! timeouts, protocol and command policy.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;

mod dsn;
mod options;

pub use options::ClientOptions;

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// A host name or IP address and a TCP port.
    Tcp {
        /// Host name or IP address.
        host: String,
        /// TCP port, 1..65535.
        port: u16,
    },
    /// A unix socket path.
    Unix(PathBuf),
    /// A master or replica found through Redis Sentinel.
    Sentinel(Sentinel),
    /// Seed nodes of a Redis Cluster (`host`, `port`), asked for the
    /// cluster's topology; connect through [`Cluster`](crate::Cluster).
    Cluster(Vec<(String, u16)>),
}

/// The endpoint as errors and logs name it: `host:port` (IPv6 hosts in
/// brackets), a socket path, `sentinel master NAME`, `cluster host:port,…`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "{host}:{port}"),
            Self::Unix(path) => write!(f, "{}", path.display()),
            Self::Sentinel(s) => write!(f, "sentinel master {}", s.master_name),
            Self::Cluster(seeds) => write!(f, "cluster {}", seed_list(seeds)),
        }
    }
}

/// `host:port,host:port` (IPv6 hosts in brackets).
pub(crate) fn seed_list(seeds: &[(String, u16)]) -> String {
    seeds
        .iter()
        .map(|(host, port)| {
            Endpoint::Tcp {
                host: host.clone(),
                port: *port,
            }
            .to_string()
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A Sentinel-managed server: which one, and the sentinels to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sentinel {
    /// The name the sentinels monitor the master under.
    pub master_name: String,
    /// Which server of the set to connect to.
    pub role: Role,
    /// Sentinel addresses, tried in order.
    pub sentinels: Vec<(String, u16)>,
    /// ACL user on the sentinels (not the data nodes).
    pub username: Option<String>,
    /// Password on the sentinels (not the data nodes).
    pub password: Option<Password>,
}

impl Sentinel {
    /// The server of `role` in the set the sentinels (`host`, `port`) monitor
    /// as `master_name`, with no sentinel credentials.
    ///
    /// ```
    /// use redwire::{Config, Role, Sentinel};
    ///
    /// let sentinel = Sentinel::new("mymaster", Role::Replica, vec![("10.0.0.1".into(), 26379)])
    ///     .credentials(Some("watcher"), "s3cret");
    /// let config = Config::default().sentinel(sentinel);
    /// assert_eq!(config.to_string(), "sentinel://mymaster:s/0");
    /// ```
    pub fn new(master_name: &str, role: Role, sentinels: Vec<(String, u16)>) -> Self {
        Self {
            master_name: master_name.to_owned(),
            role,
            sentinels,
            username: None,
            password: None,
        }
    }

    /// Authenticates to the sentinels (not the data nodes), as `username`
    /// when given.
    #[must_use]
    pub fn credentials(self, username: Option<&str>, password: &str) -> Self {
        Self {
            username: username.map(str::to_owned),
            password: Some(Password::new(password)),
            ..self
        }
    }
}

/// Which server of a Sentinel set to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The master (`m`).
    Master,
    /// A healthy replica (`s`).
    Replica,
    /// The master, else a replica (`a`).
    Any,
}

impl Role {
    /// The role's letter in a `sentinel://` DSN.
    pub(crate) fn letter(self) -> char {
        match self {
            Self::Master => 'm',
            Self::Replica => 's',
            Self::Any => 'a',
        }
    }
}

/// The RESP version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// RESP2, the default of every server.
    #[default]
    Resp2,
    /// RESP3, negotiated with `HELLO 3` (Redis 6+).
    Resp3,
}

/// A password, kept out of `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself, to send in `AUTH`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// TLS settings. Certificates are verified unless [`TlsOptions::insecure`] is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TlsOptions {
    /// PEM file of the CA(s) to trust; `None` trusts the built-in web roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of the client certificate.
    pub client_key: Option<PathBuf>,
    /// The name to verify and send as SNI; `None` uses the host.
    pub server_name: Option<String>,
    /// Skips certificate verification (encrypts but trusts anyone). Default off.
    pub insecure: bool,
}

/// TCP keepalive on a connection's socket: after `idle` with nothing
/// received, a probe every `interval`; `count` unanswered ones end the
/// connection (a host gone, or a link cut, that sent no FIN or RST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Keepalive {
    /// Quiet time before the first probe.
    pub idle: Duration,
    /// Time between probes.
    pub interval: Duration,
    /// Probes unanswered before the connection is dropped.
    pub count: u32,
}

/// The keepalive of every TCP connection unless set otherwise: a probe
/// after 15 s of quiet, then every 5 s; 3 unanswered end it (a dead peer
/// found within 30 s).
pub const DEFAULT_KEEPALIVE: Keepalive = Keepalive {
    idle: Duration::from_secs(15),
    interval: Duration::from_secs(5),
    count: 3,
};

/// `TCP_USER_TIMEOUT` unless set otherwise (Linux): bytes sent and not
/// acknowledged for this long, or keepalive probes unanswered for it, end
/// the connection.
pub const DEFAULT_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a shared (multiplexed) connection that owes replies may read
/// nothing, unless set otherwise, before it is taken for dead.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection's configuration.
///
/// Built from a DSN or a `host:port[/db]` string with [`str::parse`], or
/// from [`Config::default`] (`127.0.0.1:6379`, db 0), then adjusted with the
/// setters, which override whatever the DSN said. `Debug` and `Display`
/// never show passwords.
///
/// ```
/// use std::time::Duration;
/// use redwire::{Config, Endpoint};
///
/// let config: Config = "rediss://app:s3cret@cache.internal:6380/2?connect_timeout=250".parse()?;
/// let config = config.db(3).read_timeout(Duration::from_secs(1))?;
/// assert_eq!(config.endpoint(), &Endpoint::Tcp { host: "cache.internal".into(), port: 6380 });
/// assert_eq!(config.get_db(), 3);
/// assert_eq!(config.to_string(), "rediss://app:***@cache.internal:6380/3");
/// # Ok::<(), redwire::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    pub(crate) endpoint: Endpoint,
    pub(crate) db: u32,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Password>,
    pub(crate) tls: Option<TlsOptions>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) send_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) protocol: Protocol,
    pub(crate) client_name: Option<String>,
    pub(crate) proxy: bool,
    pub(crate) disabled_commands: Vec<String>,
    pub(crate) bind: Option<IpAddr>,
    /// Sends `READONLY` in the handshake: a cluster replica serving reads.
    pub(crate) readonly: bool,
    pub(crate) keepalive: Option<Keepalive>,
    pub(crate) user_timeout: Option<Duration>,
    pub(crate) peer_timeout: Option<Duration>,
    /// Sends `CLIENT TRACKING ON` in the handshake: a cache's connection.
    pub(crate) tracking: Option<crate::cache::Tracking>,
}

/// The connect timeout when none is set.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for Config {
    fn default() -> Self {
        Self {
            endpoint: Endpoint::Tcp {
                host: "127.0.0.1".to_owned(),
                port: 6379,
            },
            db: 0,
            username: None,
            password: None,
            tls: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            send_timeout: None,
            read_timeout: None,
            protocol: Protocol::Resp2,
            client_name: None,
            proxy: false,
            disabled_commands: Vec::new(),
            bind: None,
            readonly: false,
            keepalive: Some(DEFAULT_KEEPALIVE),
            user_timeout: Some(DEFAULT_USER_TIMEOUT),
            peer_timeout: Some(DEFAULT_PEER_TIMEOUT),
            tracking: None,
        }
    }
}

impl Config {
    /// Connects to `host:port` over TCP. Default `127.0.0.1:6379`.
    pub fn tcp(self, host: &str, port: u16) -> Result<Self, ConfigError> {
        if host.is_empty() {
            return Err(ConfigError::invalid("host", "a non-empty string", host));
        }
        if port == 0 {
            return Err(ConfigError::invalid("port", "an integer 1..65535", port));
        }
        Ok(Self {
            endpoint: Endpoint::Tcp {
                host: host.to_owned(),
                port,
            },
            ..self
        })
    }

    /// Connects to a unix socket (TLS is for TCP only). Default: TCP.
    #[must_use]
    pub fn unix(self, path: impl Into<PathBuf>) -> Self {
        Self {
            endpoint: Endpoint::Unix(path.into()),
            ..self
        }
    }

    /// Finds the server through Redis Sentinel. Default: TCP.
    #[must_use]
    pub fn sentinel(self, sentinel: Sentinel) -> Self {
        Self {
            endpoint: Endpoint::Sentinel(sentinel),
            ..self
        }
    }

    /// Connects to a Redis Cluster through these seed nodes (`host`, `port`),
    /// with [`Cluster`](crate::Cluster). Default: TCP.
    pub fn cluster(self, seeds: Vec<(String, u16)>) -> Result<Self, ConfigError> {
        if seeds.is_empty() {
            return Err(ConfigError::invalid("seeds", "at least one host:port", ""));
        }
        for (host, port) in &seeds {
            Config::default().tcp(host, *port)?;
        }
        Ok(Self {
            endpoint: Endpoint::Cluster(seeds),
            ..self
        })
    }

    /// Selects this database after connecting. Default 0.
    #[must_use]
    pub fn db(self, db: u32) -> Self {
        Self { db, ..self }
    }

    /// Authenticates with `AUTH password` as the default user (any user set
    /// before is cleared). Default: no AUTH.
    pub fn password(self, password: &str) -> Result<Self, ConfigError> {
        if password.is_empty() {
            return Err(ConfigError::invalid("password", "a non-empty string", ""));
        }
        Ok(Self {
            username: None,
            password: Some(Password::new(password)),
            ..self
        })
    }

    /// Authenticates as an ACL user with `AUTH user password`. Default: no AUTH.
    pub fn user(self, username: &str, password: &str) -> Result<Self, ConfigError> {
        if username.is_empty() {
            return Err(ConfigError::invalid("username", "a non-empty string", ""));
        }
        Ok(Self {
            username: Some(username.to_owned()),
            ..self.password(password)?
        })
    }

    /// Speaks TLS with these options. Default: plaintext.
    #[must_use]
    pub fn tls(self, tls: TlsOptions) -> Self {
        Self {
            tls: Some(tls),
            ..self
        }
    }

    /// Bounds resolving, connecting, the TLS handshake and the handshake
    /// commands together. Default [`DEFAULT_CONNECT_TIMEOUT`] (5 s).
    pub fn connect_timeout(self, timeout: Duration) -> Result<Self, ConfigError> {
        Ok(Self {
            connect_timeout: Some(positive("connect_timeout", timeout)?),
            ..self
        })
    }

    /// Bounds writing one request. Default: none.
    pub fn send_timeout(self, timeout: Duration) -> Result<Self, ConfigError> {
        Ok(Self {
            send_timeout: Some(positive("send_timeout", timeout)?),
            ..self
        })
    }

    /// Bounds waiting for a reply. Default: none (blocking commands wait).
    pub fn read_timeout(self, timeout: Duration) -> Result<Self, ConfigError> {
        Ok(Self {
            read_timeout: Some(positive("read_timeout", timeout)?),
            ..self
        })
    }

    /// Negotiates this protocol with `HELLO`. Default [`Protocol::Resp2`].
    #[must_use]
    pub fn protocol(self, protocol: Protocol) -> Self {
        Self { protocol, ..self }
    }

    /// Names the connection (`CLIENT SETNAME`). Default: unnamed.
    #[must_use]
    pub fn client_name(self, name: &str) -> Self {
        Self {
            client_name: Some(name.to_owned()),
            ..self
        }
    }

    /// Talks to a twemproxy-style proxy: no `SELECT`, no `DISCARD`, and the
    /// commands such proxies lack are refused before sending. Default off.
    #[must_use]
    pub fn proxy(self, proxy: bool) -> Self {
        Self { proxy, ..self }
    }

    /// Refuses these commands (any case) before anything is sent. Default: none.
    #[must_use]
    pub fn disabled_commands<S: AsRef<str>>(self, commands: &[S]) -> Self {
        Self {
            disabled_commands: commands
                .iter()
                .map(|c| c.as_ref().to_ascii_uppercase())
                .collect(),
            ..self
        }
    }

    /// Binds the local end of TCP connections to this address. Default: any.
    #[must_use]
    pub fn bind(self, address: IpAddr) -> Self {
        Self {
            bind: Some(address),
            ..self
        }
    }

    /// Probes TCP connections kept quiet (see [`Keepalive`]; idle and
    /// interval in whole seconds, at least 1); `None`: no probes. Default
    /// [`DEFAULT_KEEPALIVE`].
    pub fn keepalive(self, keepalive: Option<Keepalive>) -> Result<Self, ConfigError> {
        if let Some(k) = &keepalive {
            // The socket option counts whole seconds.
            for (field, time) in [
                ("keepalive idle", k.idle),
                ("keepalive interval", k.interval),
            ] {
                if time < Duration::from_secs(1) {
                    return Err(ConfigError::invalid(
                        field,
                        "at least 1 s",
                        format!("{time:?}"),
                    ));
                }
            }
            if k.count == 0 {
                return Err(ConfigError::invalid("keepalive count", "at least 1", 0));
            }
        }
        Ok(Self { keepalive, ..self })
    }

    /// Sets `TCP_USER_TIMEOUT` on TCP connections where the OS has it
    /// (Linux): bytes sent and not acknowledged for this long end the
    /// connection, and so do keepalive probes unanswered for it (a write
    /// stuck on a peer gone). `None`: the OS's retransmission rules
    /// (minutes). Default [`DEFAULT_USER_TIMEOUT`].
    pub fn user_timeout(self, timeout: Option<Duration>) -> Result<Self, ConfigError> {
        Ok(Self {
            user_timeout: timeout.map(|t| positive("user_timeout", t)).transpose()?,
            ..self
        })
    }

    /// How long a shared (multiplexed) connection that owes replies may
    /// read nothing before it is taken for dead (a server stopped, or
    /// wedged, that keeps its socket open): it is failed, the requests
    /// written on it fail as [may have been
    /// applied](crate::Error::may_have_been_applied), and those not written
    /// go on a new connection. A read timeout, when set, applies instead.
    /// A sentinel pool's failover watcher `PING`s a sentinel quiet this long
    /// and leaves it when unanswered as long again.
    /// `None`: it waits as long as it takes. Default
    /// [`DEFAULT_PEER_TIMEOUT`].
    pub fn peer_timeout(self, timeout: Option<Duration>) -> Result<Self, ConfigError> {
        Ok(Self {
            peer_timeout: timeout.map(|t| positive("peer_timeout", t)).transpose()?,
            ..self
        })
    }

    /// Where the server is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The database selected after connecting.
    pub fn get_db(&self) -> u32 {
        self.db
    }

    /// The ACL user, if any.
    pub fn get_username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password, if any.
    pub fn get_password(&self) -> Option<&Password> {
        self.password.as_ref()
    }

    /// The TLS options, when TLS is on.
    pub fn get_tls(&self) -> Option<&TlsOptions> {
        self.tls.as_ref()
    }

    /// Connect, send and read timeouts.
    pub fn timeouts(&self) -> (Option<Duration>, Option<Duration>, Option<Duration>) {
        (self.connect_timeout, self.send_timeout, self.read_timeout)
    }

    /// The protocol negotiated after connecting.
    pub fn get_protocol(&self) -> Protocol {
        self.protocol
    }

    /// The connection name, if any.
    pub fn get_client_name(&self) -> Option<&str> {
        self.client_name.as_deref()
    }

    /// Whether proxy mode is on.
    pub fn is_proxy(&self) -> bool {
        self.proxy
    }

    /// The user's disabled commands, upper case.
    pub fn get_disabled_commands(&self) -> &[String] {
        &self.disabled_commands
    }

    /// The local bind address, if any.
    pub fn get_bind(&self) -> Option<IpAddr> {
        self.bind
    }

    /// The TCP keepalive, if on.
    pub fn get_keepalive(&self) -> Option<Keepalive> {
        self.keepalive
    }

    /// The `TCP_USER_TIMEOUT`, if set.
    pub fn get_user_timeout(&self) -> Option<Duration> {
        self.user_timeout
    }

    /// The peer timeout of shared connections, if set.
    pub fn get_peer_timeout(&self) -> Option<Duration> {
        self.peer_timeout
    }
}

fn positive(field: &'static str, timeout: Duration) -> Result<Duration, ConfigError> {
    if timeout.is_zero() {
        return Err(ConfigError::invalid(
            field,
            "a positive duration",
            format!("{timeout:?}"),
        ));
    }
    Ok(timeout)
}

/// A DSN naming the endpoint, user and database, with `***` for passwords:
/// for logs, not for parsing back (query options are left out).
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials =
            |f: &mut fmt::Formatter<'_>, user: Option<&str>, password: Option<&Password>| match (
                user, password,
            ) {
                (Some(user), _) => write!(f, "{user}:***@"),
                (None, Some(_)) => f.write_str(":***@"),
                (None, None) => Ok(()),
            };
        match &self.endpoint {
            Endpoint::Tcp { host, port } => {
                f.write_str(if self.tls.is_some() {
                    "rediss://"
                } else {
                    "redis://"
                })?;
                credentials(f, self.username.as_deref(), self.password.as_ref())?;
                if host.contains(':') {
                    write!(f, "[{host}]:{port}/{}", self.db)
                } else {
                    write!(f, "{host}:{port}/{}", self.db)
                }
            }
            Endpoint::Unix(path) => write!(f, "unix://{}?db={}", path.display(), self.db),
            Endpoint::Cluster(seeds) => {
                let scheme = if self.tls.is_some() {
                    "rediss"
                } else {
                    "redis"
                };
                write!(f, "{scheme}+cluster://")?;
                credentials(f, self.username.as_deref(), self.password.as_ref())?;
                f.write_str(&seed_list(seeds))
            }
            Endpoint::Sentinel(s) => {
                f.write_str("sentinel://")?;
                credentials(f, self.username.as_deref(), self.password.as_ref())?;
                write!(f, "{}:{}/{}", s.master_name, s.role.letter(), self.db)
            }
        }
    }
}
