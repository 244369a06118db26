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
    module.add_class::<pubsub::NativePubSub>()?;
    module.add_class::<completions::Completions>()?;
    Ok(())
}
