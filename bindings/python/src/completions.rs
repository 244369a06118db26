//! Completions of asyncio requests, handed to the event loop's own thread:
//! a runtime task queues its outcome and wakes the loop through a socket
//! the loop watches (`loop.add_reader`); the loop drains the queue and
//! makes the Python values there. No runtime thread ever takes the GIL.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use redwire::{Batch, Error, Frame, SharedConnection};
use tokio::task::AbortHandle;

use crate::args::FlatArgs;
use crate::client::{pipeline_results, Replies};
use crate::errors;
use crate::reply;
use crate::runtime::{abandon, generation};

/// A batch is sent once it holds this many commands, without waiting for
/// the loop's turn to end: the server works on it while the loop makes the
/// next (measured best among 1 to 64 with 50 tasks; see benches/RESULTS.md).
const FLUSH_AT: usize = 8;

/// What a finished request left.
pub(crate) enum Outcome {
    /// A command's reply.
    Reply(Frame),
    /// A command's reply, never decoded (`DUMP`'s).
    Raw(Frame),
    /// A pipeline's replies (`true`: a transaction).
    Pipeline(Replies, bool),
    /// A pub/sub message, or none before the timeout.
    Message(Option<Frame>),
}

/// Why a request has no outcome.
enum Failure {
    Error(Error),
    /// A bug: the request panicked on the runtime.
    Panicked,
}

/// The shared state: outcomes waiting for the loop, and the running
/// requests (to cancel).
struct Queue {
    done: Mutex<Vec<(u64, Result<Outcome, Failure>)>>,
    running: Mutex<HashMap<u64, AbortHandle>>,
    /// The requests on a shared connection, with it and when they were
    /// made: a cancelled one lets a stalled connection go (see `cancel`).
    on_shared: Mutex<HashMap<u64, (SharedConnection, Instant)>>,
    /// Written to when the first outcome is queued.
    wake: UnixStream,
}

impl Queue {
    /// Drops a request that will have no outcome.
    fn forget(&self, id: u64) {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        self.on_shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    fn finish(&self, id: u64, outcome: Result<Outcome, Failure>) {
        self.forget(id);
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        done.push((id, outcome));
        if done.len() == 1 {
            // A full socket buffer already holds a wakeup: ignore it.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// One client's completions on one event loop (see the module docs).
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct Completions {
    /// The fork generation it was made in: a parent's is not used in a
    /// forked child (its socket would wake the parent's loop).
    generation: u64,
    queue: Arc<Queue>,
    /// Commands for the client's shared connection, gathered during one
    /// turn of the loop and sent together by `flush`.
    batch: Mutex<Option<(SharedConnection, Batch)>>,
    /// The end the loop watches.
    watched: UnixStream,
    decode: bool,
}

impl Completions {
    /// Refuses to serve in a forked child when made in its parent.
    fn this_process(&self) -> PyResult<()> {
        if self.generation == generation() {
            Ok(())
        } else {
            Err(PyRuntimeError::new_err(
                "redwire: this event loop was made before the process forked: run a new one",
            ))
        }
    }

    /// Runs `request` on the runtime as request `id`; `shared`: the shared
    /// connection it may go on, let go if it stalled when the request is
    /// cancelled (see `cancel`).
    pub(crate) fn spawn(
        &self,
        id: u64,
        shared: Option<&SharedConnection>,
        request: impl std::future::Future<Output = Result<Outcome, Error>> + Send + 'static,
    ) -> PyResult<()> {
        self.this_process()?;
        let runtime = crate::runtime::runtime()?;
        if let Some(shared) = shared {
            self.queue
                .on_shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, (shared.clone(), Instant::now()));
        }
        let queue = self.queue.clone();
        // Held while spawning, so the task's `finish` (which takes it)
        // always finds its handle to remove.
        let mut running = self
            .queue
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The request runs as a task of its own, so that a panic in it still
        // completes its future (with an error) instead of leaving it pending.
        let task = runtime.spawn(request);
        running.insert(id, task.abort_handle());
        runtime.spawn(async move {
            match task.await {
                Ok(outcome) => queue.finish(id, outcome.map_err(Failure::Error)),
                Err(e) if e.is_panic() => queue.finish(id, Err(Failure::Panicked)),
                // Cancelled: nothing waits for it.
                Err(_) => queue.forget(id),
            }
        });
        Ok(())
    }

    /// Adds command `args` (request `id`) to the batch for `shared`:
    /// whether the batch was empty (the caller then has `flush` called once
    /// the loop's turn ends); `None`, adding nothing, when the command
    /// needs a connection of its own.
    pub(crate) fn gather(
        &self,
        shared: &SharedConnection,
        id: u64,
        args: &FlatArgs,
    ) -> Option<bool> {
        if self.this_process().is_err() {
            // `spawn` says so.
            return None;
        }
        let queue = self.queue.clone();
        let done = move |reply: Result<Frame, Error>| {
            queue.finish(id, reply.map(Outcome::Reply).map_err(Failure::Error));
        };
        let mut batch = self.batch.lock().unwrap_or_else(PoisonError::into_inner);
        let (shared, batch) = batch.get_or_insert_with(|| (shared.clone(), Batch::default()));
        let was_empty = batch.is_empty();
        // Noted first: a refused command is answered (and forgotten) at once.
        let on_shared = &self.queue.on_shared;
        on_shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, (shared.clone(), Instant::now()));
        if shared.add(batch, args, done).is_err() {
            on_shared
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
            return None;
        }
        if batch.len() >= FLUSH_AT {
            if let Ok(runtime) = crate::runtime::runtime() {
                let _inside = runtime.enter();
                shared.submit_batch(std::mem::take(batch));
            }
            return Some(false);
        }
        Some(was_empty && !batch.is_empty())
    }
}

#[pymethods]
impl Completions {
    /// A queue whose values are decoded as UTF-8 when `decode`.
    #[new]
    fn new(decode: bool) -> PyResult<Self> {
        let (wake, watched) = UnixStream::pair().map_err(|e| PyOSError::new_err(e.to_string()))?;
        for end in [&wake, &watched] {
            end.set_nonblocking(true)
                .map_err(|e| PyOSError::new_err(e.to_string()))?;
        }
        Ok(Self {
            generation: generation(),
            queue: Arc::new(Queue {
                done: Mutex::new(Vec::new()),
                running: Mutex::new(HashMap::new()),
                on_shared: Mutex::new(HashMap::new()),
                wake,
            }),
            batch: Mutex::new(None),
            watched,
            decode,
        })
    }

    /// Drops the gathered commands unsent (the client is closing: their
    /// futures fail).
    fn discard(&self) {
        // A parent's: its locks may have been held across the fork.
        if self.this_process().is_err() {
            return;
        }
        self.batch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Sends the gathered commands together. The shared connection is not
    /// kept past it: a client dropped without closing leaves nothing here.
    fn flush(&self) -> PyResult<()> {
        self.this_process()?;
        let gathered = self
            .batch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((shared, batch)) = gathered {
            let runtime = crate::runtime::runtime()?;
            let _inside = runtime.enter();
            shared.submit_batch(batch);
        }
        Ok(())
    }

    /// The descriptor that becomes readable when outcomes are queued.
    fn fileno(&self) -> i32 {
        self.watched.as_raw_fd()
    }

    /// Resolves the future of every queued outcome (`futures`: request
    /// id → asyncio future) with its reply, or the exception to raise. A
    /// request whose future is gone or done (cancelled) is skipped. An error
    /// setting one future does not stop the others; the first is raised.
    fn drain(&self, py: Python<'_>, futures: &Bound<'_, PyDict>) -> PyResult<()> {
        if let Err(made_before) = self.this_process() {
            // A forked child running its parent's loop: the queue and its
            // socket are the parent's (their outcomes are not the child's
            // to take). What the child awaits fails.
            for future in futures.values() {
                if !future.call_method0(intern!(py, "done"))?.is_truthy()? {
                    future.call_method1(
                        intern!(py, "set_exception"),
                        (made_before.clone_ref(py).into_value(py),),
                    )?;
                }
            }
            return Ok(());
        }
        let mut sink = [0_u8; 256];
        while matches!((&self.watched).read(&mut sink), Ok(n) if n > 0) {}
        let done = std::mem::take(
            &mut *self
                .queue
                .done
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut first_error = None;
        for (id, outcome) in done {
            let Some(future) = futures.get_item(id)? else {
                continue;
            };
            if future.call_method0(intern!(py, "done"))?.is_truthy()? {
                continue;
            }
            let value = match outcome {
                Ok(Outcome::Reply(frame) | Outcome::Message(Some(frame))) => {
                    reply::to_python(py, &frame, self.decode)
                }
                Ok(Outcome::Raw(frame)) => reply::to_python(py, &frame, false),
                Ok(Outcome::Pipeline(replies, transaction)) => {
                    pipeline_results(py, &replies, transaction, self.decode).map(Bound::into_any)
                }
                Ok(Outcome::Message(None)) => Ok(py.None().into_bound(py)),
                Err(Failure::Error(e)) => Err(errors::to_pyerr(py, &e)),
                Err(Failure::Panicked) => Err(PyRuntimeError::new_err(
                    "redwire: the request failed inside its runtime (a bug; its connection was dropped)",
                )),
            };
            let set = match value {
                Ok(value) => future.call_method1(intern!(py, "set_result"), (value,)),
                Err(error) => {
                    future.call_method1(intern!(py, "set_exception"), (error.into_value(py),))
                }
            };
            if let Err(e) = set {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Cancels request `id`: it is dropped, and its connection closed (a
    /// request on the shared connection is not taken back: its reply, when
    /// it comes, is dropped; the connection is let go only when it read
    /// nothing since the request was made).
    fn cancel(&self, id: u64) {
        // A parent's: its locks may have been held across the fork.
        if self.this_process().is_err() {
            return;
        }
        if let Some(task) = self
            .queue
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
        {
            task.abort();
        }
        // A request given up on the shared connection: the connection may
        // have stopped answering (a peer gone silent). If it read nothing
        // since, the next requests take a new one instead of waiting behind
        // it; those in flight on it still get their replies if they come.
        let shared = self
            .queue
            .on_shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        if let Some((shared, made)) = shared {
            shared.close_if_stalled(made);
        }
    }
}

/// In a forked child, leaves the parent's queue and batch as they are (see
/// `runtime`): dropping them could wake the parent's runtime.
impl Drop for Completions {
    fn drop(&mut self) {
        if self.generation != generation() {
            abandon(self.queue.clone());
            abandon(
                self.batch
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take(),
            );
        }
    }
}
