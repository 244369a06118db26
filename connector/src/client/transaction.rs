//! Optimistic transactions: keys watched on a connection held for the
//! transaction, read, then written between `MULTI` and `EXEC`, tried again
//! when a watched key changed meanwhile.

use std::future::Future;

use redwire_resp::Args;

use super::{Client, Execute};
use crate::command::pipeline::Pipeline;
use crate::command::slot::key_slot;
use crate::connection::{single, Replies};
use crate::error::{Error, ServerErrorKind};
use crate::pool::PooledConnection;
use crate::reply::FromFrame;

/// How many times [`Client::transaction`] runs its body before it gives up
/// with [`Error::Aborted`].
pub const MAX_TRANSACTION_ATTEMPTS: usize = 16;

/// One attempt of a transaction: its keys are watched on a connection held
/// for it. Read through it (it runs every command, `&mut Transaction` being
/// an [`Execute`]), then write with [`exec`](Self::exec). Dropped without
/// `exec`, nothing is written (the connection is not reused).
#[derive(Debug)]
pub struct Transaction {
    connection: PooledConnection,
    /// The client's cache: what `exec` may write is dropped from it.
    cache: Option<std::sync::Arc<crate::cache::Cache>>,
}

impl Transaction {
    /// Runs `pipeline` between `MULTI` and `EXEC`: its replies as `T` (as
    /// an [atomic](Pipeline::atomic) pipeline's), or [`Error::Aborted`]
    /// when a watched key changed since it was watched (nothing was
    /// written; [`Client::transaction`] then runs its body again).
    pub async fn exec<T: FromFrame>(mut self, pipeline: &Pipeline) -> Result<T, Error> {
        let mut atomic = pipeline.clone();
        atomic.atomic();
        let forget = || {
            if let Some(cache) = &self.cache {
                cache.forget_written(&atomic);
            }
        };
        forget();
        let replies = atomic.query(&mut self.connection).await;
        forget();
        replies
    }
}

/// Its commands go on its connection; what they may write is dropped
/// from the client's cache before and after, as `exec`'s.
impl Execute for &mut Transaction {
    async fn send(&mut self, pipeline: &Pipeline) -> Result<Replies, Error> {
        let forget = || {
            if let Some(cache) = &self.cache {
                cache.forget_written(pipeline);
            }
        };
        forget();
        let replies = self.connection.pipeline(pipeline).await;
        forget();
        replies
    }
}

impl Client {
    /// Runs `body` as an optimistic transaction on `keys`: each attempt
    /// watches them (`WATCH`) on a connection held for it and hands
    /// `body` a [`Transaction`] to read through and to
    /// [`exec`](Transaction::exec) its writes with. When a watched key
    /// changed before `EXEC` (another client wrote it), nothing was
    /// written and `body` runs again, at most
    /// [`MAX_TRANSACTION_ATTEMPTS`] times in all ([`Error::Aborted`] then).
    /// Any other error ends it. On a cluster, a `WATCH` answered `MOVED`
    /// or `ASK` reads the slot map again and counts as an attempt; the keys must share a slot
    /// (hash tags: `{user:1}:a`), else [`Error::CrossSlot`] before anything
    /// is sent.
    ///
    /// ```no_run
    /// use redwire::{Client, Commands, Pipeline};
    ///
    /// # async fn demo(client: &Client) -> Result<(), redwire::Error> {
    /// // Moves 10 from one balance to another, unless it would go below 0.
    /// let moved: bool = client
    ///     .transaction(("{acct}:a", "{acct}:b"), |mut tx| async move {
    ///         let a: i64 = tx.get::<Option<i64>>("{acct}:a").await?.unwrap_or(0);
    ///         if a < 10 {
    ///             return Ok(false);
    ///         }
    ///         let _: (i64, i64) = tx
    ///             .exec(Pipeline::new().decr("{acct}:a", 10).incr("{acct}:b", 10))
    ///             .await?;
    ///         Ok(true)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn transaction<T, F, Fut>(&self, keys: impl Args, mut body: F) -> Result<T, Error>
    where
        F: FnMut(Transaction) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut watch = Pipeline::new();
        watch.cmd(&("WATCH", &keys));
        let (mut first, mut other_slot) = (None::<Vec<u8>>, None);
        keys.for_each_arg(&mut |key| match &first {
            None => first = Some(key.to_vec()),
            Some(first) if key_slot(first) != key_slot(key) => {
                other_slot.get_or_insert_with(|| String::from_utf8_lossy(key).into_owned());
            }
            Some(_) => {}
        });
        let Some(first) = first else {
            return Err(Error::EmptyCommand);
        };
        if let (Some(key), true) = (other_slot, self.is_cluster()) {
            return Err(Error::CrossSlot {
                command: format!("WATCH {key}"),
            });
        }
        for _ in 0..MAX_TRANSACTION_ATTEMPTS {
            let mut connection = self.connection(&first).await?;
            match (single(connection.pipeline(&watch).await), self.cluster()) {
                (Ok(_), _) => {}
                // The slot is served elsewhere now: read the map again.
                (Err(Error::Server(e)), Some(cluster))
                    if matches!(e.kind(), ServerErrorKind::Moved | ServerErrorKind::Ask) =>
                {
                    cluster.refresh().await?;
                    continue;
                }
                (Err(e), _) => return Err(e),
            }
            let cache = self.cache.clone();
            match body(Transaction { connection, cache }).await {
                Err(Error::Aborted) => {}
                done => return done,
            }
        }
        Err(Error::Aborted)
    }
}
