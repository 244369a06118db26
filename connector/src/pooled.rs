//! Pooled connections: the connector as the pool's way to connect.

use redwire_pool::{Connect, PoolConfig, PoolError};

use crate::config::{Endpoint, Role};
use crate::connection::Connection;
use crate::connector::Connector;
use crate::error::{Error, Phase};
use crate::Frame;

/// A pool of [`Connection`]s made by a [`Connector`]; see [`redwire_pool::Pool`]
/// for its semantics. A guard dropped while a request is in flight
/// force-closes its connection (the connection is broken by then).
pub type Pool = redwire_pool::Pool<Connector>;

/// A checked-out pooled [`Connection`].
pub type PooledConnection = redwire_pool::Pooled<Connector>;

impl Connect for Connector {
    type Connection = Connection;
    type Error = Error;

    async fn connect(&self) -> Result<Connection, Error> {
        Connector::connect(self).await
    }

    /// `PING`, within the connect timeout; for a sentinel-managed master,
    /// `ROLE`, which must still say master (a demoted master is discarded
    /// and the next connection is found through the sentinels).
    async fn check(&self, connection: &mut Connection) -> Result<(), Error> {
        let sentinel_master = matches!(
            self.defaults().endpoint(),
            Endpoint::Sentinel(s) if s.role == Role::Master
        );
        let command: &[&str] = if sentinel_master {
            &["ROLE"]
        } else {
            &["PING"]
        };
        let reply = match self.defaults().timeouts().0 {
            Some(after) => tokio::time::timeout(after, connection.cmd(command))
                .await
                .map_err(|_| Error::Timeout {
                    phase: Phase::Read,
                    endpoint: connection.endpoint().to_owned(),
                    after,
                })??,
            None => connection.cmd(command).await?,
        };
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

    /// Broken, inside `MULTI`, subscribed, or closed by the server.
    fn is_broken(&self, connection: &mut Connection) -> bool {
        !connection.is_reusable() || connection.closed_by_peer()
    }
}

impl Connector {
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
    pub fn pool(self, config: PoolConfig) -> Result<Pool, PoolError<Error>> {
        let watched = self
            .discovery()
            .map(|discovery| (self.defaults().clone(), discovery.clone()));
        let pool = redwire_pool::Pool::new(self, config)?;
        if let Some((config, discovery)) = watched {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                drop(runtime.spawn(crate::sentinel::watch(
                    config,
                    discovery,
                    pool.invalidator(),
                )));
            } else {
                tracing::warn!("no tokio runtime: this sentinel pool will not follow failovers");
            }
        }
        Ok(pool)
    }
}
