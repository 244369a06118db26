//! What the pool needs from a transport: make a connection, check one,
//! tell whether one is broken.

use std::future::Future;

/// How a pool makes and checks connections; the connector implements it.
pub trait Connect: Send + Sync + 'static {
    /// The connection handed out.
    type Connection: Send + 'static;
    /// Why making or checking a connection failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Makes a fresh connection (connect and handshake).
    fn connect(&self) -> impl Future<Output = Result<Self::Connection, Self::Error>> + Send;

    /// Checks an idle connection before reuse (e.g. with `PING`).
    fn check(
        &self,
        connection: &mut Self::Connection,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Whether the connection can never be used again: it saw an I/O,
    /// protocol or timeout error, a request on it was cancelled, or a probe
    /// that must not block finds the server gone.
    fn is_broken(&self, connection: &mut Self::Connection) -> bool;

    /// Readies a connection for its next user at each checkout of a
    /// connection used before (e.g. puts back settings a user changed).
    /// Default: nothing.
    fn prepare(&self, connection: &mut Self::Connection) {
        let _ = connection;
    }
}
