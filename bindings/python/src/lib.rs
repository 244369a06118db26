//! The native part of the `redwire` Python package (`redwire._native`):
//! a pooled client on the redwire core, its pipelines and a pub/sub
//! connection. The Python package wraps it with redis-py's command
//! methods, pipelines, scripts and exceptions; see `python/redwire/`.
//!
//! Every network wait releases the GIL: threads share the client and run
//! their requests in parallel on one tokio runtime.
// `#[pymodule]` and `#[pyclass]` expand to FFI glue.
#![allow(unsafe_code)]

mod args;
mod client;
mod completions;
mod errors;
mod options;
mod pubsub;
mod reply;
mod runtime;

use pyo3::prelude::*;

/// `redwire._native`.
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<client::NativeClient>()?;
    module.add_class::<client::NativeScan>()?;
    module.add_class::<pubsub::NativePubSub>()?;
    module.add_function(wrap_pyfunction!(client::keyslot, module)?)?;
    module.add_class::<completions::Completions>()?;
    module.add("CACHED_COMMANDS", redwire::cache::CACHED_COMMANDS.to_vec())?;
    let forked = wrap_pyfunction!(runtime::forked, module)?;
    module.add_function(forked.clone())?;
    // A forked child makes its own runtimes and connections (see `runtime`).
    let hook = pyo3::types::PyDict::new(module.py());
    hook.set_item("after_in_child", forked)?;
    module
        .py()
        .import("os")?
        .call_method("register_at_fork", (), Some(&hook))?;
    Ok(())
}
