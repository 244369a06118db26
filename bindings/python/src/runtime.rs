//! The tokio runtime every client of the process shares, sync calls and
//! asyncio awaitables alike.

use std::sync::OnceLock;

use pyo3::exceptions::PyRuntimeError;
use std::future::Future;

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
    // asyncio awaitables run on it too (set once; later calls change nothing).
    let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime);
    Ok(runtime)
}

/// `request` as an asyncio awaitable on the runtime; its value made a
/// Python object by `convert` (with the GIL), its error the matching
/// exception. Cancelling the awaitable drops `request`.
pub(crate) fn awaitable<T: Send + 'static>(
    py: Python<'_>,
    request: impl Future<Output = Result<T, redwire::Error>> + Send + 'static,
    convert: impl FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
) -> PyResult<Bound<'_, PyAny>> {
    runtime()?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        let result = request.await;
        Python::attach(|py| match result {
            Ok(value) => convert(py, value),
            Err(e) => Err(crate::errors::to_pyerr(py, &e)),
        })
    })
}
