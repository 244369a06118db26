//! The runtimes requests run on: one multi-thread runtime the process
//! shares (asyncio requests, pub/sub), and a sync client's own; and what a
//! forked child does with those its parent made.
//!
//! A child of `fork()` has a copy of its parent's memory but none of its
//! threads, and shares its parent's open sockets and epoll instances. What
//! the parent made (runtimes, connections, tasks) is unusable there, and
//! dropping it would deregister the parent's sockets from the epoll
//! instance they share, or shut them down under the parent. So a child
//! leaves it all as it is ([`abandon`]) and makes its own: each holder
//! notes the [`generation`] it was made in, and makes itself again when
//! the process forked since.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

/// How many times this process's line of parents forked: bumped in each
/// child (`os.register_at_fork(after_in_child=...)`, set by the package).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// The process's fork generation now.
pub(crate) fn generation() -> u64 {
    FORKS.load(Ordering::Acquire)
}

/// Called in a forked child, first thing: everything made before is the
/// parent's.
#[pyfunction]
pub(crate) fn forked() {
    FORKS.fetch_add(1, Ordering::AcqRel);
}

/// Leaves what a parent made as it is: never used again, never dropped
/// (see the module docs). It leaks its memory and descriptors in the
/// child, once per fork.
pub(crate) fn abandon<T>(made_by_the_parent: T) {
    std::mem::forget(made_by_the_parent);
}

/// The shared runtime, with the generation it was made in.
static RUNTIME: Mutex<Option<(u64, Arc<Runtime>)>> = Mutex::new(None);

/// The shared runtime of this process, started on first use (again in a
/// forked child); an error when the process cannot start its threads.
pub(crate) fn runtime() -> PyResult<Arc<Runtime>> {
    let now = generation();
    let mut shared = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((made, runtime)) = shared.as_ref() {
        if *made == now {
            return Ok(runtime.clone());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("redwire")
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| PyRuntimeError::new_err(format!("redwire cannot start its runtime: {e}")))?;
    if let Some(parents) = shared.replace((now, runtime.clone())) {
        abandon(parents);
    }
    Ok(runtime)
}

/// A runtime driven by the threads that call into it: a sync client's own.
/// One thread at a time drives it (tokio hands it over as that thread's
/// call ends): it reads the shared connection's replies for every caller,
/// and runs background upkeep (idle checks, a sentinel watcher) while some
/// thread is inside a call.
pub(crate) fn calling_threads() -> PyResult<Arc<Runtime>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| PyRuntimeError::new_err(format!("redwire cannot start a runtime: {e}")))
}
