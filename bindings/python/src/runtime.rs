//! The runtimes requests run on: one multi-thread runtime the process
//! shares (asyncio requests, pub/sub), and a sync client's own.

use std::sync::{Arc, OnceLock};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<std::io::Result<Arc<Runtime>>> = OnceLock::new();

/// The runtime, started on first use; an error when the process cannot
/// start its threads.
pub(crate) fn runtime() -> PyResult<&'static Arc<Runtime>> {
    let started = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("redwire")
            .enable_all()
            .build()
            .map(Arc::new)
    });
    let runtime = started
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("redwire cannot start its runtime: {e}")))?;
    Ok(runtime)
}

/// A runtime driven by the threads that call into it: a sync client's own.
/// The thread waiting for a reply polls the socket itself, so no reply
/// crosses threads; background upkeep (idle checks, a sentinel watcher)
/// runs while some thread is inside a call.
pub(crate) fn calling_threads() -> PyResult<Arc<Runtime>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| PyRuntimeError::new_err(format!("redwire cannot start a runtime: {e}")))
}
