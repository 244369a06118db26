//! Defaults shared by many connections, overridden per connection.

use std::sync::Arc;

use crate::config::{Config, Endpoint};
use crate::connection::Connection;
use crate::error::{ConfigError, Error};
use crate::sentinel::Discovery;

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
/// For a sentinel endpoint, the connector keeps the sentinel list across
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

    /// Connects with `config`, through the kept sentinel list when its
    /// sentinels are the defaults' own.
    async fn connect_to(&self, config: &Config) -> Result<Connection, Error> {
        match (config.endpoint(), &self.discovery) {
            (Endpoint::Sentinel(sentinel), Some(discovery))
                if config.endpoint() == self.defaults.endpoint() =>
            {
                crate::sentinel::connect(config, sentinel, discovery).await
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

    /// The kept sentinel list, for the pool's failover watcher.
    pub(crate) fn discovery(&self) -> Option<&Arc<Discovery>> {
        self.discovery.as_ref()
    }
}
