//! A shared connection's requests through its cache: a read the cache
//! keeps is answered from it, or sent with a [`Ticket`] that keeps its
//! reply unless a key it read changed meanwhile; what may write drops the
//! keys among its arguments before it is sent and again before its reply
//! is handed back, so that no caller reads, after a write of its own, what
//! the write replaced.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redwire_resp::{encode_command, Args, Frame};

use super::{Batch, SharedConnection};
use crate::cache::{Cache, Ticket};
use crate::command::cacheable::{cache_use, CacheUse};
use crate::command::pipeline::{args_of, Pipeline};
use crate::connection::Replies;
use crate::error::Error;
use crate::pool::Pool;

/// What the cache makes of one command about to be sent.
enum Plan {
    /// Its reply, kept.
    Hit(Frame),
    /// A read to keep: its ticket.
    Read(Ticket),
    /// It may write: the keys among its arguments go; a script's reply
    /// waits for a `PING` after it (a barrier: see [`BARRIER`]).
    Write { script: bool },
    /// Nothing for the cache.
    Pass,
}

/// Sent after a script on a tracking connection, its reply handed back
/// only with this one's: Redis tells a connection of its own writes after
/// their reply, before the next one's, so the invalidations of keys a
/// script made up (not among its arguments) are applied by then.
const BARRIER: [&str; 1] = ["PING"];

/// Whether `pipeline` may be answered from a cache: one command, sent
/// alone.
pub(crate) fn alone(pipeline: &Pipeline) -> bool {
    pipeline.len() == 1 && !pipeline.is_atomic()
}

/// The reply `cache` keeps for `pipeline`, a command sent
/// [alone](alone). Only reads' replies are kept: a hit needs no reading of
/// the command.
pub(crate) fn hit(cache: &Cache, pipeline: &Pipeline) -> Option<Frame> {
    alone(pipeline)
        .then(|| kept(cache, pipeline.bytes()))
        .flatten()
}

/// How often, at most, a lookup on a runtime driven only by requests lets
/// it read its connections first (two polls of its sockets, ~0.7 µs).
const SETTLE_EVERY: Duration = Duration::from_millis(1);

/// Called before a lookup in `cache`. A runtime driven only while a
/// request waits (a current-thread one, as a binding's sync client has)
/// may have read nothing its connections received since its last request:
/// unless a lookup did in the last [`SETTLE_EVERY`], the first yield makes
/// it poll its sockets (waking a connection's task that has an
/// invalidation to read), the second lets that task run before the
/// lookup. Best effort: a thread that waits while another drives the
/// runtime polls nothing itself (the driving one reads meanwhile). (A
/// loop of hits on such a runtime also yields each 128, its budget.) On a
/// multi-thread runtime the connections' tasks run meanwhile.
pub(crate) async fn settle(cache: &Cache) {
    let driven_by_requests = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread);
    if driven_by_requests && cache.settle_due(SETTLE_EVERY) {
        // Noted once done: the lookups that come meanwhile settle too.
        let since = cache.settle_start();
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        cache.settled(since);
    }
}

/// Called after a hit. No I/O: without this, a task reading kept replies
/// in a loop would never let others run on its thread.
pub(crate) async fn after_hit() {
    tokio::task::consume_budget().await;
}

/// The reply `cache` keeps for `command` (encoded).
fn kept(cache: &Cache, command: &[u8]) -> Option<Frame> {
    cache.get(command).map(|hit| Frame::clone(&hit))
}

/// What `cache` makes of `command` (encoded); a write's keys are dropped
/// now.
fn plan(cache: &Arc<Cache>, command: &[u8]) -> Plan {
    if let Some(hit) = kept(cache, command) {
        return Plan::Hit(hit);
    }
    let mut args = Vec::new();
    args_of(command, &mut args);
    match cache_use(&args) {
        CacheUse::Read(keys) if keys.iter().all(|k| cache.config().get_tracking().covers(k)) => {
            Plan::Read(cache.begin(keys))
        }
        CacheUse::Read(_) | CacheUse::Nothing => Plan::Pass,
        used @ (CacheUse::Write | CacheUse::Script | CacheUse::Everything) => {
            cache.forget(&args, true);
            Plan::Write {
                script: used == CacheUse::Script && cache.barrier_works(),
            }
        }
    }
}

/// Whether a command of `pipeline` is a script (see [`BARRIER`]).
fn scripted(pipeline: &Pipeline) -> bool {
    let mut args = Vec::new();
    pipeline.commands().any(|command| {
        args_of(command.encoded, &mut args);
        cache_use(&args) == CacheUse::Script
    })
}

/// Sends `pipeline` on `shared`, with a [`BARRIER`] after it when
/// `script`, whose reply is not handed back.
async fn send_barred(
    shared: &SharedConnection,
    pipeline: &Pipeline,
    script: bool,
) -> Result<Replies, Error> {
    if !script {
        return shared.send(pipeline).await;
    }
    let mut barred = pipeline.clone();
    barred.cmd(&BARRIER);
    let mut replies = shared.send(&barred).await?;
    replies.pop();
    Ok(replies)
}

/// Sends `pipeline` on a connection of `pool` (a blocking command): what
/// it may write is dropped from `cache` before and after, as on a shared
/// connection.
pub(crate) async fn on_own_connection(
    pool: &Pool,
    cache: Option<&Cache>,
    pipeline: &Pipeline,
) -> Result<Replies, Error> {
    let forget = || {
        if let Some(cache) = cache {
            cache.forget_written(pipeline);
        }
    };
    forget();
    let replies = async { pool.get().await?.pipeline(pipeline).await }.await;
    forget();
    replies
}

/// `CLIENT CACHING YES`: the next read is tracked ([`Tracking::OptIn`]).
///
/// [`Tracking::OptIn`]: crate::cache::Tracking::OptIn
const CACHING_YES: [&str; 3] = ["CLIENT", "CACHING", "YES"];

/// Sends `pipeline` (checked, not empty) on `shared` through `cache`.
pub(super) async fn pipeline(
    shared: &SharedConnection,
    cache: &Arc<Cache>,
    pipeline: &Pipeline,
) -> Result<Replies, Error> {
    // A pipeline's reads are not kept: only a command sent alone.
    if pipeline.len() > 1 {
        cache.forget_writes(pipeline, true);
        let barred = scripted(pipeline) && cache.barrier_works();
        let replies = send_barred(shared, pipeline, barred).await;
        cache.forget_writes(pipeline, true);
        return replies;
    }
    settle(cache).await;
    let command = pipeline.bytes();
    match plan(cache, command) {
        Plan::Hit(frame) => {
            after_hit().await;
            Ok(vec![Ok(frame)])
        }
        Plan::Read(ticket) => {
            let replies = if cache.config().get_tracking().opts_in() {
                let mut opted = Pipeline::new();
                opted.cmd(&CACHING_YES);
                pipeline.commands().for_each(|read| opted.push(read));
                let mut replies = shared.send(&opted).await?;
                let read = replies.pop();
                if replies.first().is_some_and(Result::is_err) {
                    // The read was not tracked: nothing may be kept.
                    cache.flush();
                }
                read.into_iter().collect()
            } else {
                shared.send(pipeline).await?
            };
            if let Some(Ok(reply)) = replies.first() {
                ticket.complete(command, reply);
            }
            Ok(replies)
        }
        Plan::Write { script } => {
            let replies = send_barred(shared, pipeline, script).await;
            cache.forget_writes(pipeline, true);
            replies
        }
        Plan::Pass => shared.send(pipeline).await,
    }
}

/// Adds `args` to `batch` through `cache`: a hit answers `done` at once.
pub(super) fn add<A, F>(cache: &Arc<Cache>, batch: &mut Batch, args: &A, done: F)
where
    A: Args + ?Sized,
    F: FnOnce(Result<Frame, Error>) + Send + 'static,
{
    let from = batch.bytes.len();
    encode_command(&mut batch.bytes, args);
    match plan(cache, &batch.bytes[from..]) {
        Plan::Hit(frame) => {
            batch.bytes.truncate(from);
            done(Ok(frame));
        }
        Plan::Read(ticket) => {
            let command = Bytes::copy_from_slice(&batch.bytes[from..]);
            if cache.config().get_tracking().opts_in() {
                batch.bytes.truncate(from);
                encode_command(&mut batch.bytes, &CACHING_YES);
                batch.bytes.extend_from_slice(&command);
                let cache = cache.clone();
                // Answered before the read: a refusal spoils its ticket.
                batch.done.push(Box::new(move |caching| {
                    if caching.is_err() {
                        cache.flush();
                    }
                }));
            }
            batch.done.push(Box::new(move |reply| {
                if let Ok(reply) = &reply {
                    ticket.complete(&command, reply);
                }
                done(reply);
            }));
        }
        Plan::Write { script } => {
            let command = Bytes::copy_from_slice(&batch.bytes[from..]);
            let cache = cache.clone();
            // Called once the whole batch is answered: after the barrier.
            batch.done.push(Box::new(move |reply| {
                let mut args = Vec::new();
                args_of(&command, &mut args);
                cache.forget(&args, true);
                done(reply);
            }));
            if script {
                encode_command(&mut batch.bytes, &BARRIER);
                batch.done.push(Box::new(drop));
            }
        }
        Plan::Pass => batch.done.push(Box::new(done)),
    }
}
