//! The tokio runtime every client of the process shares.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime, started on first use. Starting it can only fail when the
/// process cannot create threads, which no client could survive.
pub(crate) fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("redwire")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("redwire cannot start its runtime: {e}"))
    })
}
