//! The tokio runtime every client of the process shares, sync calls and
//! asyncio requests alike.

use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<std::io::Result<Runtime>> = OnceLock::new();

/// The runtime, started on first use; an error when the process cannot
/// start its threads.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    let started = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("redwire")
            .enable_all()
            .build()
    });
    let runtime = started
        .as_ref()
        .map_err(|e| PyRuntimeError::new_err(format!("redwire cannot start its runtime: {e}")))?;
    Ok(runtime)
}
