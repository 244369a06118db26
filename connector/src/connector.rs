//! Defaults shared by many connections, overridden per connection.

use crate::config::Config;
use crate::connection::Connection;
use crate::error::{ConfigError, Error};

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
#[derive(Debug, Clone, Default)]
pub struct Connector {
    defaults: Config,
}

impl Connector {
    /// A connector whose connections use `defaults`.
    pub fn new(defaults: Config) -> Self {
        Self { defaults }
    }

    /// The defaults.
    pub fn defaults(&self) -> &Config {
        &self.defaults
    }

    /// Connects with the defaults.
    pub async fn connect(&self) -> Result<Connection, Error> {
        Connection::connect(&self.defaults).await
    }

    /// Connects with the defaults changed by `overrides`, for this
    /// connection only.
    pub async fn connect_with(
        &self,
        overrides: impl FnOnce(Config) -> Result<Config, ConfigError>,
    ) -> Result<Connection, Error> {
        let config = overrides(self.defaults.clone())?;
        Connection::connect(&config).await
    }
}
