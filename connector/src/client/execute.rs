//! The one trait over everything that runs commands, for code generic over
//! them.

use std::future::Future;

use super::Client;
use crate::cluster::Cluster;
use crate::command::pipeline::Pipeline;
use crate::connection::{Connection, Replies};
use crate::error::Error;
use crate::pool::PooledConnection;
use crate::shared::SharedConnection;

/// What runs commands: `&Client`, `&SharedConnection`, `&Cluster` (shared
/// handles, used by reference), `&mut Connection` and
/// `&mut PooledConnection` (a connection of the caller's). Generic code takes
/// `impl Execute` and gets every command of [`Commands`](super::Commands):
///
/// ```no_run
/// use redwire::{Commands, Execute};
///
/// async fn visits(db: impl Execute) -> Result<i64, redwire::Error> {
///     db.incr("visits", 1).await
/// }
///
/// # async fn demo(client: &redwire::Client, connection: &mut redwire::Connection)
/// # -> Result<(), redwire::Error> {
/// visits(client).await?;
/// visits(&mut *connection).await?;
/// # Ok(()) }
/// ```
pub trait Execute: Send + Sized {
    /// Sends the commands of `pipeline` together: one reply per command,
    /// an error reply in its place (as
    /// [`Connection::pipeline`](crate::Connection::pipeline)). Through
    /// `&mut self`: what takes more than one request (a script loaded
    /// after `NOSCRIPT`) sends them on the same executor.
    fn send(&mut self, pipeline: &Pipeline) -> impl Future<Output = Result<Replies, Error>> + Send;
}

impl Execute for &Client {
    fn send(&mut self, pipeline: &Pipeline) -> impl Future<Output = Result<Replies, Error>> + Send {
        Client::send(self, pipeline)
    }
}

impl Execute for &SharedConnection {
    fn send(&mut self, pipeline: &Pipeline) -> impl Future<Output = Result<Replies, Error>> + Send {
        self.pipeline(pipeline)
    }
}

impl Execute for &Cluster {
    fn send(&mut self, pipeline: &Pipeline) -> impl Future<Output = Result<Replies, Error>> + Send {
        self.pipeline(pipeline)
    }
}

impl Execute for &mut Connection {
    fn send(&mut self, pipeline: &Pipeline) -> impl Future<Output = Result<Replies, Error>> + Send {
        self.pipeline(pipeline)
    }
}

impl Execute for &mut PooledConnection {
    fn send(&mut self, pipeline: &Pipeline) -> impl Future<Output = Result<Replies, Error>> + Send {
        self.pipeline(pipeline)
    }
}
