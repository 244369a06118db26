//! Pooled connections: the connector as the pool's way to connect.

use redwire_pool::{Connect, PoolConfig, PoolError};

use crate::connection::Connection;
use crate::connector::Connector;
use crate::error::{Error, Phase};

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
        Connection::connect(self.defaults()).await
    }

    /// `PING`, within the connect timeout.
    async fn check(&self, connection: &mut Connection) -> Result<(), Error> {
        let ping = connection.cmd(&["PING"]);
        match self.defaults().timeouts().0 {
            Some(after) => {
                tokio::time::timeout(after, ping)
                    .await
                    .map_err(|_| Error::Timeout {
                        phase: Phase::Read,
                        endpoint: connection.endpoint().to_owned(),
                        after,
                    })??
            }
            None => ping.await?,
        };
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
    pub fn pool(self, config: PoolConfig) -> Result<Pool, PoolError<Error>> {
        redwire_pool::Pool::new(self, config)
    }
}
