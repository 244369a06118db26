//! Connecting through Redis Sentinel: ask the sentinels, connect to the
//! server they name, and verify its `ROLE`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redwire_resp::Frame;
use redwire_sentinel::{Address, Ask, SentinelError, Sentinels};

use crate::backoff::Backoff;
use crate::config::{Config, Endpoint, Protocol, Role, Sentinel, DEFAULT_CONNECT_TIMEOUT};
use crate::connection::Connection;
use crate::error::{Error, Phase};

/// The sentinel-side settings of a connection: its address, the sentinel
/// credentials, and the data node's connect timeout and dead-peer
/// detection.
fn sentinel_config(address: &Address, sentinel: &Sentinel, data: &Config) -> Result<Config, Error> {
    let mut config = Config::default().tcp(&address.host, address.port)?;
    config.connect_timeout = data.connect_timeout;
    config.keepalive = data.keepalive;
    config.user_timeout = data.user_timeout;
    config.protocol = Protocol::Resp2;
    if let Some(password) = &sentinel.password {
        config = match &sentinel.username {
            Some(user) => config.user(user, password.expose())?,
            None => config.password(password.expose())?,
        };
    }
    Ok(config)
}

/// How often the sentinel list is refreshed from `SENTINEL sentinels`.
const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// How long the watcher waits before connecting again after failures: from
/// 100 ms, doubling, at most 10 s, with jitter.
const WATCH_BACKOFF: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));

/// The sentinels of one set as a [`Connector`](crate::Connector) and its
/// pool's watcher share them: in the order they last answered, with the
/// ones learned from `SENTINEL sentinels` added.
#[derive(Debug)]
pub(crate) struct Discovery {
    sentinels: Sentinels,
    /// When the list was last refreshed.
    refreshed: Mutex<Option<Instant>>,
}

impl Discovery {
    /// The sentinels of `sentinel`, in the order given; refreshed from
    /// `SENTINEL sentinels` when `kept` (used for more than one connect).
    pub(crate) fn new(sentinel: &Sentinel, kept: bool) -> Self {
        Self {
            sentinels: Sentinels::new(
                sentinel
                    .sentinels
                    .iter()
                    .map(|(host, port)| Address::new(host, *port))
                    .collect(),
            ),
            // A list used once is never due a refresh.
            refreshed: Mutex::new((!kept).then(Instant::now)),
        }
    }

    /// The sentinels in the order the next discovery tries them.
    pub(crate) fn addresses(&self) -> Vec<Address> {
        self.sentinels.addresses()
    }

    /// Whether the list is due a refresh (never refreshed, or not for
    /// [`REFRESH_EVERY`]); marks it refreshed now when it is.
    fn refresh_due(&self) -> bool {
        let mut refreshed = self
            .refreshed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = refreshed.is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
        if due {
            *refreshed = Some(Instant::now());
        }
        due
    }
}

/// Watches the sentinels for `+switch-master` of `config`'s master and
/// invalidates the pool when it comes, so no connection to the old master is
/// handed out again. Moves to the next sentinel when one is lost; stops when
/// the pool is gone.
///
/// The sentinel that announced the switch moves to the front of
/// `discovery`, so the connections made next ask one that knows the new
/// master (another may not have heard yet, and the old master still says
/// `master` until the sentinels demote it).
///
/// A sentinel quiet for the peer timeout ([`Config::peer_timeout`]) is
/// sent a `PING`; unanswered for as long again (up to about twice the peer
/// timeout and a second in all; never with none), it counts as lost.
///
/// After a failure (no connection, a refused `SUBSCRIBE`, a lost or silent
/// connection) it waits [`WATCH_BACKOFF`] before trying again, longer
/// after each failure in a row; a subscription that held for a quiet
/// second starts the count again.
pub(crate) async fn watch(
    config: Config,
    discovery: std::sync::Arc<Discovery>,
    invalidator: redwire_pool::Invalidator,
) {
    let Endpoint::Sentinel(sentinel) = config.endpoint() else {
        return;
    };
    let prefix = format!("{} ", sentinel.master_name);
    let (mut next, mut failures) = (0, 0);
    while !invalidator.is_gone() {
        if failures > 0 {
            tokio::time::sleep(WATCH_BACKOFF.jittered(failures)).await;
        }
        failures += 1;
        let addresses = discovery.addresses();
        let Some(address) = addresses.get(next % addresses.len().max(1)).cloned() else {
            return;
        };
        next += 1;
        let Ok(watch_config) = sentinel_config(&address, sentinel, &config) else {
            return;
        };
        let Ok(mut connection) = Connection::connect(&watch_config).await else {
            continue;
        };
        let endpoint = connection.endpoint().to_owned();
        let subscribe = connection.cmd(&("SUBSCRIBE", "+switch-master"));
        if within_connect_timeout(&config, endpoint, subscribe)
            .await
            .is_err()
        {
            continue;
        }
        // A sentinel quiet for the peer timeout is sent a `PING`; one that
        // answers nothing for as long again is left for the next (it may
        // be stopped with its socket open: keepalive would never tell).
        let (mut heard, mut pinged) = (Instant::now(), None::<Instant>);
        loop {
            // A bounded wait, so a gone pool is noticed; `read` is cancel-safe.
            match tokio::time::timeout(Duration::from_secs(1), connection.read()).await {
                Err(_) if invalidator.is_gone() => return,
                Err(_) => {
                    // A quiet second: the subscription holds.
                    failures = 0;
                    let Some(silence) = config.get_peer_timeout() else {
                        continue;
                    };
                    match pinged {
                        Some(at) if at.elapsed() >= silence => {
                            tracing::debug!(sentinel = %address, "a silent sentinel: watching through the next");
                            failures = 1;
                            break;
                        }
                        None if heard.elapsed() >= silence => {
                            if connection.send_subscription(&["PING"]).await.is_err() {
                                break;
                            }
                            pinged = Some(Instant::now());
                        }
                        _ => {}
                    }
                }
                Ok(Err(_)) => break,
                Ok(Ok(frame)) => {
                    (heard, pinged) = (Instant::now(), None);
                    let (Frame::Array(message) | Frame::Push(message)) = frame else {
                        continue;
                    };
                    let payload = message.get(2).and_then(Frame::as_bytes).unwrap_or_default();
                    if payload.starts_with(prefix.as_bytes()) {
                        tracing::debug!(master = %sentinel.master_name, "switch-master: invalidating the pool");
                        discovery.sentinels.prefer(&address);
                        if !invalidator.invalidate() {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Runs `step` of connecting to `endpoint` within `config`'s connect
/// timeout.
async fn within_connect_timeout<T>(
    config: &Config,
    endpoint: String,
    step: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let after = config.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    tokio::time::timeout(after, step)
        .await
        .unwrap_or(Err(Error::Timeout {
            phase: Phase::Handshake,
            endpoint,
            after,
        }))
}

/// Asks sentinels with their own credentials, each answer within the
/// data node's read timeout, else its connect timeout.
struct SentinelAsk<'a> {
    sentinel: &'a Sentinel,
    data: &'a Config,
}

impl Ask for SentinelAsk<'_> {
    type Error = Error;

    async fn ask(&self, address: &Address, command: &[&str]) -> Result<Frame, Error> {
        let mut config = sentinel_config(address, self.sentinel, self.data)?;
        config.read_timeout = self.data.read_timeout.or(self.data.connect_timeout);
        let mut connection = Connection::connect(&config).await?;
        connection.cmd(command).await
    }
}

/// Connects to the server `config`'s sentinels name for its role: the
/// master (`m`), a healthy replica (`s`, tried in order), or the master
/// else a replica (`a`). The server's `ROLE` must match; after a mismatch
/// the sentinels are asked once more. After a connection is made, the
/// sentinel list is refreshed when due.
pub(crate) async fn connect(
    config: &Config,
    sentinel: &Sentinel,
    discovery: &Discovery,
) -> Result<Connection, Error> {
    let sentinels = &discovery.sentinels;
    let ask = SentinelAsk {
        sentinel,
        data: config,
    };
    let name = sentinel.master_name.as_str();
    let mut last_mismatch = None;
    for _ in 0..2 {
        let candidates = match sentinel.role {
            Role::Master => vec![(sentinels.master(&ask, name).await?, "master")],
            Role::Replica => replicas(sentinels, &ask, name).await?,
            Role::Any => {
                let mut all = vec![(sentinels.master(&ask, name).await?, "master")];
                all.extend(replicas(sentinels, &ask, name).await.unwrap_or_default());
                all
            }
        };
        let (mut errors, mut mismatch) = (Vec::new(), None);
        for (address, expected) in candidates {
            match connect_to(config, &address, expected).await {
                Ok(connection) => {
                    if discovery.refresh_due() {
                        if let Err(e) = sentinels.refresh(&ask, name).await {
                            tracing::debug!(error = %e, "refreshing the sentinel list failed");
                        }
                    }
                    return Ok(connection);
                }
                Err(e @ Error::Sentinel(SentinelError::RoleMismatch { .. })) => mismatch = Some(e),
                Err(e) => errors.push(e),
            }
        }
        // Only a role mismatch (a failover under way) is worth asking again.
        match mismatch {
            Some(e) => last_mismatch = Some(e),
            None => return Err(Error::NoHosts(errors)),
        }
    }
    Err(last_mismatch.unwrap_or(Error::NoHosts(Vec::new())))
}

async fn replicas(
    sentinels: &Sentinels,
    ask: &SentinelAsk<'_>,
    name: &str,
) -> Result<Vec<(Address, &'static str)>, Error> {
    Ok(sentinels
        .replicas(ask, name)
        .await?
        .into_iter()
        .map(|address| (address, "slave"))
        .collect())
}

/// Connects to `address` with the data node's settings and checks its role.
async fn connect_to(
    config: &Config,
    address: &Address,
    expected: &str,
) -> Result<Connection, Error> {
    let mut data = config.clone();
    data.endpoint = Endpoint::Tcp {
        host: address.host.clone(),
        port: address.port,
    };
    let mut connection = Connection::connect(&data).await?;
    // Part of connecting: a server that accepts and answers nothing (a
    // stopped process, whose kernel still accepts) fails within a connect
    // timeout of its own, not never.
    let role = within_connect_timeout(
        config,
        connection.endpoint().to_owned(),
        connection.cmd(&["ROLE"]),
    )
    .await?;
    let actual = match &role {
        Frame::Array(items) | Frame::Push(items) => {
            items.first().and_then(Frame::as_bytes).unwrap_or_default()
        }
        _ => b"",
    };
    if actual != expected.as_bytes() {
        return Err(Error::Sentinel(SentinelError::RoleMismatch {
            address: address.to_string(),
            expected: expected.to_owned(),
            actual: String::from_utf8_lossy(actual).into_owned(),
        }));
    }
    Ok(connection)
}
