//! redwire's errors as the `redwire.exceptions` classes.
//!
//! | error | exception |
//! |---|---|
//! | an error reply | `ResponseError` (`NoScriptError` for `NOSCRIPT`), the server's message |
//! | a refused handshake: `WRONGPASS`, `NOAUTH`, …; a `NOAUTH` reply | `AuthenticationError` |
//! | a timeout | `TimeoutError` (also the builtin `TimeoutError`) |
//! | a pool that stayed full | `PoolExhaustedError` |
//! | bytes that are not RESP | `ProtocolError` |
//! | an unusable configuration | `ConfigError` |
//! | I/O, a broken connection, no host or sentinel reachable | `ConnectionError` |
//! | a disabled command, a cluster that kept redirecting | `RedisError` |

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyModule;
use redwire::{Error, PoolError};

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// An instance of `redwire.exceptions.<name>(message)`.
pub(crate) fn instance<'py>(
    py: Python<'py>,
    name: &str,
    message: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let module = EXCEPTIONS.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("redwire.exceptions")?.unbind())
    })?;
    module.bind(py).getattr(name)?.call1((message,))
}

/// The exception for an error reply, in a pipeline's results too.
pub(crate) fn response_error<'py>(py: Python<'py>, message: &str) -> PyResult<Bound<'py, PyAny>> {
    instance(py, reply_class(message), message)
}

/// The exception class for an error reply.
fn reply_class(message: &str) -> &'static str {
    match message.split_ascii_whitespace().next() {
        Some("NOSCRIPT") => "NoScriptError",
        // A command on a server that wants AUTH first.
        Some("NOAUTH" | "WRONGPASS") => "AuthenticationError",
        Some("NOPERM") => "NoPermissionError",
        Some("LOADING") => "BusyLoadingError",
        Some("READONLY") => "ReadOnlyError",
        Some("OOM") => "OutOfMemoryError",
        Some("EXECABORT") => "ExecAbortError",
        Some("MOVED") => "MovedError",
        Some("ASK") => "AskError",
        Some("TRYAGAIN") => "TryAgainError",
        Some("CLUSTERDOWN") => "ClusterDownError",
        Some("MASTERDOWN") => "MasterDownError",
        Some("CROSSSLOT") => "ClusterCrossSlotError",
        _ if message.starts_with("ERR max number of clients reached") => "MaxClientsReachedError",
        _ => "ResponseError",
    }
}

/// Whether a refusal is about credentials (as redis-py tells them: a
/// password sent to a server that has none is one too).
fn is_auth(message: &str) -> bool {
    [
        "WRONGPASS",
        "NOAUTH",
        "NOPERM",
        "invalid password",
        "invalid username-password",
        "called without any password configured",
        "Client sent AUTH, but no password is set",
    ]
    .iter()
    .any(|word| message.contains(word))
}

/// The exception class for `error`.
fn class(error: &Error) -> &'static str {
    match error {
        Error::Server(reply) => reply_class(reply.message()),
        Error::Refused { .. } if is_auth(&error.to_string()) => "AuthenticationError",
        Error::Timeout { .. } => "TimeoutError",
        Error::Protocol { .. } => "ProtocolError",
        Error::Config(_) => "ConfigError",
        Error::Pool(pool) => match pool.as_ref() {
            PoolError::ConnectFailed(inner) => class(inner),
            PoolError::Exhausted { .. } => "PoolExhaustedError",
            PoolError::Size(_) => "ConfigError",
            other if is_auth(&other.to_string()) => "AuthenticationError",
            _ => "ConnectionError",
        },
        Error::NoHosts(errors)
            if !errors.is_empty() && errors.iter().all(|e| class(e) == "AuthenticationError") =>
        {
            "AuthenticationError"
        }
        Error::Disabled { .. }
        | Error::EmptyCommand
        | Error::SubscribeInPipeline { .. }
        | Error::NotSubscription { .. }
        | Error::NeedsOwnConnection { .. }
        | Error::Redirections { .. }
        | Error::SlotUnserved { .. }
        | Error::SlotsKeptMoving { .. } => "RedisError",
        _ => "ConnectionError",
    }
}

/// `error` as the Python exception to raise; an error reply keeps the
/// server's message as it is.
pub(crate) fn to_pyerr(py: Python<'_>, error: &Error) -> PyErr {
    let message = match error {
        Error::Server(reply) => reply.message().to_owned(),
        // Said in Python's terms, not the core's.
        Error::NeedsOwnConnection { command } => {
            let shared = "leaves state on its connection, which this client shares:";
            match command.as_str() {
                "WAIT" | "WAITAOF" => format!(
                    "{command} counts the writes made before it on its connection: \
                     send it after the writes, in the same pipeline"
                ),
                "SELECT" => format!("{command} {shared} make a client with db="),
                s if s.contains("SUBSCRIBE") => format!("{command} {shared} use pubsub()"),
                "MULTI" | "EXEC" | "DISCARD" | "WATCH" | "UNWATCH" => {
                    format!("{command} {shared} use a pipeline (WATCH, MULTI ... EXEC)")
                }
                _ => format!(
                    "{command} {shared} set it with the client's options (client_name=, \
                     username=, password=, protocol=) where one says it"
                ),
            }
        }
        other => other.to_string(),
    };
    match instance(py, class(error), &message) {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}
