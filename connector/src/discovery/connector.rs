//! Connecting to the server a configuration names, with defaults shared by
//! many connections and overridden per connection; the way a pool connects.

use std::sync::Arc;

use redwire_pool::{Connect, PoolConfig, PoolError};
use redwire_resp::Frame;

use super::sentinel::{self, Discovery};
use crate::config::{Config, Endpoint, Role};
use crate::connection::Connection;
use crate::error::{ConfigError, Error, Phase, ServerError};

/// Holds a default [`Config`]; each [`connect_with`](Self::connect_with)
/// applies overrides to that one connection only (the
/// lua-resty-redis-connector model: `new(defaults)`, `connect(overrides)`).
///
/// ```no_run
/// use redwire::{Config, Connector};
///
/// # async fn demo() -> Result<(), redwire::Error> {
/// let connector = Connector::new("redis://:s3cret@cache:6379/2".parse()?);
/// let mut sessions = connector.connect().await?; // db 2
/// let mut reports = connector.connect_with(|c| Ok(c.db(5))).await?; // db 5, this once
/// # Ok(()) }
/// ```
///
/// A TCP or unix endpoint is connected to directly; a sentinel endpoint's
/// server is asked of its sentinels, and its `ROLE` verified. For a
/// sentinel endpoint, the connector keeps the sentinel list across
/// connects (and its clones share it): the sentinel that answered is asked
/// first next time, and sentinels learned from `SENTINEL sentinels`
/// (refreshed at most once a minute) are tried after the configured ones.
#[derive(Debug, Clone, Default)]
pub struct Connector {
    defaults: Config,
    discovery: Option<Arc<Discovery>>,
}

impl Connector {
    /// A connector whose connections use `defaults`.
    pub fn new(defaults: Config) -> Self {
        let discovery = match defaults.endpoint() {
            Endpoint::Sentinel(sentinel) => Some(Arc::new(Discovery::new(sentinel, true))),
            _ => None,
        };
        Self {
            defaults,
            discovery,
        }
    }

    /// The defaults.
    pub fn defaults(&self) -> &Config {
        &self.defaults
    }

    /// Connects with the defaults.
    pub async fn connect(&self) -> Result<Connection, Error> {
        self.connect_to(&self.defaults).await
    }

    /// Connects with the defaults changed by `overrides`, for this
    /// connection only.
    pub async fn connect_with(
        &self,
        overrides: impl FnOnce(Config) -> Result<Config, ConfigError>,
    ) -> Result<Connection, Error> {
        let config = overrides(self.defaults.clone())?;
        self.connect_to(&config).await
    }

    /// Connects with `config`: to its server, or to the one its sentinels
    /// name (through the kept sentinel list when its sentinels are the
    /// defaults' own). The sentinel path, which holds several connects, is
    /// boxed: a direct connect's future stays small.
    async fn connect_to(&self, config: &Config) -> Result<Connection, Error> {
        match (config.endpoint(), &self.discovery) {
            (Endpoint::Sentinel(set), Some(discovery))
                if config.endpoint() == self.defaults.endpoint() =>
            {
                Box::pin(sentinel::connect(config, set, discovery)).await
            }
            (Endpoint::Sentinel(set), _) => {
                let discovery = Discovery::new(set, false);
                Box::pin(sentinel::connect(config, set, &discovery)).await
            }
            _ => Connection::connect(config).await,
        }
    }

    /// The sentinels in the order the next connect asks them, for a
    /// sentinel endpoint.
    pub fn sentinels(&self) -> Option<Vec<(String, u16)>> {
        self.discovery.as_ref().map(|discovery| {
            discovery
                .addresses()
                .into_iter()
                .map(|a| (a.host, a.port))
                .collect()
        })
    }

    /// A pool of connections made with this connector's defaults.
    ///
    /// ```no_run
    /// use redwire::{Connector, PoolConfig};
    ///
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = Connector::new("redis://127.0.0.1:6379".parse()?).pool(PoolConfig::default())?;
    /// let mut connection = pool.get().await?;
    /// connection.cmd(&("SET", "k", "v")).await?;
    /// drop(connection); // back to the pool
    /// # Ok(()) }
    /// ```
    ///
    /// For a sentinel-managed server, a task watching the sentinels for
    /// `+switch-master` invalidates the pool on a failover; it stops when the
    /// pool is dropped. Made outside a tokio runtime, the pool has no watcher
    /// (and logs a warning): it then relies on `ROLE` checks and `READONLY`.
    pub fn pool(self, config: PoolConfig) -> Result<crate::Pool, PoolError<Error>> {
        let watched = self
            .discovery
            .as_ref()
            .map(|discovery| (self.defaults.clone(), discovery.clone()));
        let pool = redwire_pool::Pool::new(self, config)?;
        if let Some((config, discovery)) = watched {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                drop(runtime.spawn(sentinel::watch(config, discovery, pool.invalidator())));
            } else {
                tracing::warn!("no tokio runtime: this sentinel pool will not follow failovers");
            }
        }
        Ok(pool)
    }
}

impl Connect for Connector {
    type Connection = Connection;
    type Error = Error;

    async fn connect(&self) -> Result<Connection, Error> {
        Connector::connect(self).await
    }

    /// `PING`, within the connect timeout; for a sentinel-managed master,
    /// `ROLE`, which must still say master (a demoted master is discarded
    /// and the next connection is found through the sentinels). Sent as it
    /// is: the commands a user disabled are the user's, not the pool's.
    async fn check(&self, connection: &mut Connection) -> Result<(), Error> {
        let sentinel_master = matches!(
            self.defaults.endpoint(),
            Endpoint::Sentinel(s) if s.role == Role::Master
        );
        let command: &[u8] = if sentinel_master {
            b"*1\r\n$4\r\nROLE\r\n"
        } else {
            b"*1\r\n$4\r\nPING\r\n"
        };
        let asked = connection.send_raw(command, 1);
        let reply = match self.defaults.timeouts().0 {
            Some(after) => {
                tokio::time::timeout(after, asked)
                    .await
                    .map_err(|_| Error::Timeout {
                        phase: Phase::Read,
                        endpoint: connection.endpoint().to_owned(),
                        after,
                    })??
            }
            None => asked.await?,
        };
        let reply = reply.into_iter().next().unwrap_or(Frame::Null);
        if let Frame::Error(message) | Frame::BulkError(message) = &reply {
            return Err(Error::Server(ServerError::new(message)));
        }
        let role = match &reply {
            Frame::Array(items) => items.first().and_then(Frame::as_bytes),
            _ => None,
        };
        if sentinel_master && role != Some(&b"master"[..]) {
            return Err(Error::Sentinel(
                redwire_sentinel::SentinelError::RoleMismatch {
                    address: connection.endpoint().to_owned(),
                    expected: "master".to_owned(),
                    actual: String::from_utf8_lossy(role.unwrap_or_default()).into_owned(),
                },
            ));
        }
        Ok(())
    }

    /// Broken, inside `MULTI`, subscribed, its settings changed, or closed
    /// by the server.
    fn is_broken(&self, connection: &mut Connection) -> bool {
        !connection.is_reusable() || connection.closed_by_peer()
    }

    /// The defaults' client-side settings, which a checkout through
    /// [`Pools::get`](crate::Pools::get) may have changed.
    fn prepare(&self, connection: &mut Connection) {
        connection.configure(&self.defaults);
    }
}
