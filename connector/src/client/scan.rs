//! Walking a keyspace or a collection with `SCAN`, `HSCAN`, `SSCAN` and
//! `ZSCAN`, as a [`Stream`].

use std::collections::VecDeque;

use futures_util::Stream;
use redwire_resp::{ArgBuf, Args, Frame, Payload};

use super::{Client, LazyCluster, Topology};
use crate::cluster::ClusterScan;
use crate::command::pipeline::Pipeline;
use crate::connection::single;
use crate::error::Error;
use crate::reply::{mismatch, FromFrame};

/// What a scan reads: `MATCH`, `COUNT` and (for `SCAN`) `TYPE`, with the
/// server's names; the default is everything, the server's batch size.
///
/// ```
/// let options = redwire::ScanOptions::default().matching("user:*").count(500);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct ScanOptions {
    pattern: Option<String>,
    count: Option<u64>,
    kind: Option<String>,
}

impl ScanOptions {
    /// `MATCH pattern`: only what matches this glob-style pattern.
    pub fn matching(self, pattern: &str) -> Self {
        Self {
            pattern: Some(pattern.to_owned()),
            ..self
        }
    }

    /// `COUNT n`: about this many per round trip (a hint to the server).
    pub fn count(self, count: u64) -> Self {
        Self {
            count: Some(count),
            ..self
        }
    }

    /// `TYPE type` (`SCAN` only): only keys of this type (`string`,
    /// `hash`, `zset`, …).
    pub fn of_type(self, kind: &str) -> Self {
        Self {
            kind: Some(kind.to_owned()),
            ..self
        }
    }
}

impl Args for ScanOptions {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.pattern.as_ref().map(|p| ("MATCH", p)).for_each_arg(f);
        self.count.map(|c| ("COUNT", c)).for_each_arg(f);
        self.kind.as_ref().map(|k| ("TYPE", k)).for_each_arg(f);
    }
}

/// Where the next batch comes from.
enum Source<'a> {
    /// `name [key] cursor options…` on the client, until the cursor is 0.
    Cursor {
        client: &'a Client,
        /// The command's name and key.
        head: ArgBuf,
        options: ScanOptions,
        /// `None` once the server said 0.
        cursor: Option<Payload>,
    },
    /// Every master of a cluster in turn (its topology read first, for a
    /// client made lazily).
    Cluster {
        lazy: &'a LazyCluster,
        options: ScanOptions,
        scan: Option<ClusterScan>,
    },
}

impl Source<'_> {
    /// The next batch, `None` at the end.
    async fn next_batch(&mut self) -> Result<Option<Vec<Frame>>, Error> {
        match self {
            Self::Cluster {
                lazy,
                options,
                scan,
            } => {
                if scan.is_none() {
                    *scan = Some(lazy.get().await?.scan(&*options));
                }
                let Some(scan) = scan else {
                    return Ok(None);
                };
                Ok(scan
                    .next_batch()
                    .await?
                    .map(|keys| keys.into_iter().map(Frame::BulkString).collect()))
            }
            Self::Cursor {
                client,
                head,
                options,
                cursor,
            } => {
                let Some(at) = cursor.take() else {
                    return Ok(None);
                };
                let mut step = Pipeline::new();
                step.cmd(&(&*head, &at, &*options));
                let reply = single(client.send(&step).await)?;
                let Frame::Array(parts) = reply else {
                    return Err(mismatch("a cursor and a batch", &reply));
                };
                let mut parts = parts.into_iter();
                let (Some(next), Some(batch)) = (parts.next(), parts.next()) else {
                    return Err(Error::Conversion {
                        expected: "a cursor and a batch",
                        got: "fewer parts".to_owned(),
                    });
                };
                let next = Payload::from_frame(next)?;
                *cursor = (&next[..] != b"0").then_some(next);
                Ok(Some(Vec::<Frame>::from_frame(batch)?))
            }
        }
    }
}

/// The stream of items `source` reads, each as `T` (a batch's items read
/// together, so that a field and its value make one `(F, V)`).
fn walk<'a, T: FromFrame + 'a>(source: Source<'a>) -> impl Stream<Item = Result<T, Error>> + 'a {
    let state = (source, VecDeque::<T>::new(), false);
    futures_util::stream::unfold(state, |(mut source, mut ready, mut done)| async move {
        loop {
            if let Some(item) = ready.pop_front() {
                return Some((Ok(item), (source, ready, done)));
            }
            if done {
                return None;
            }
            match source.next_batch().await {
                Ok(Some(batch)) => match T::from_items(batch) {
                    Ok(items) => ready.extend(items),
                    Err(e) => {
                        done = true;
                        return Some((Err(e), (source, ready, done)));
                    }
                },
                Ok(None) => return None,
                Err(e) => {
                    done = true;
                    return Some((Err(e), (source, ready, done)));
                }
            }
        }
    })
}

impl Client {
    /// Every key (`SCAN`), one at a time, as `T` (`String`, `Payload`, …);
    /// on a cluster, every master's in turn. As `SCAN` itself: a key that
    /// exists for the whole walk is returned, maybe more than once. An
    /// error ends the stream after it.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    /// use redwire::ScanOptions;
    ///
    /// # async fn demo(client: &redwire::Client) -> Result<(), redwire::Error> {
    /// let keys: Vec<String> = client
    ///     .scan(ScanOptions::default().matching("user:*"))
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn scan<T: FromFrame + 'static>(
        &self,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<T, Error>> + '_ {
        let source = match &self.topology {
            Topology::Cluster(lazy) => Source::Cluster {
                lazy,
                options,
                scan: None,
            },
            Topology::Server { .. } => self.cursor(&"SCAN", options),
        };
        walk(source)
    }

    /// A hash's fields and values (`HSCAN`), as `(F, V)` pairs.
    pub fn hscan<T: FromFrame + 'static>(
        &self,
        key: impl Args,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<T, Error>> + '_ {
        walk(self.cursor(&("HSCAN", key), options))
    }

    /// A set's members (`SSCAN`).
    pub fn sscan<T: FromFrame + 'static>(
        &self,
        key: impl Args,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<T, Error>> + '_ {
        walk(self.cursor(&("SSCAN", key), options))
    }

    /// A sorted set's members and scores (`ZSCAN`), as `(M, f64)` pairs.
    pub fn zscan<T: FromFrame + 'static>(
        &self,
        key: impl Args,
        options: ScanOptions,
    ) -> impl Stream<Item = Result<T, Error>> + '_ {
        walk(self.cursor(&("ZSCAN", key), options))
    }

    /// A walk of `head` (a name, and a key) from cursor 0.
    fn cursor(&self, head: &impl Args, options: ScanOptions) -> Source<'_> {
        let mut words = ArgBuf::default();
        head.for_each_arg(&mut |word| words.push(word));
        Source::Cursor {
            client: self,
            head: words,
            options,
            cursor: Some(Payload::from_static(b"0")),
        }
    }
}
