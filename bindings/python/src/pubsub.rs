//! `NativePubSub`: a connection of its own for subscriptions.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use redwire::{Connection, Connector, Error};
use tokio::sync::Mutex;

use crate::args::FlatArgs;
use crate::client::run;
use crate::reply;

/// A pub/sub connection: (un)subscribe commands and the messages that
/// arrive, read with a timeout.
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct NativePubSub {
    connector: Connector,
    connection: Mutex<Option<Connection>>,
    decode: bool,
}

impl NativePubSub {
    pub(crate) fn new(connector: Connector, decode: bool) -> Self {
        Self {
            connector,
            connection: Mutex::new(None),
            decode,
        }
    }
}

#[pymethods]
impl NativePubSub {
    /// Sends a (un)subscribe command (connecting first if needed) and
    /// returns its first confirmation; the others are read as messages.
    fn execute<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = FlatArgs::from_tuple(args)?;
        let frame = run(py, async {
            let mut connection = self.connection.lock().await;
            if connection.as_ref().is_none_or(Connection::is_broken) {
                *connection = Some(self.connector.connect().await?);
            }
            match connection.as_mut() {
                Some(connection) => connection.cmd(&args).await,
                None => Err(Error::EmptyCommand),
            }
        })?;
        reply::to_python(py, &frame, self.decode)
    }

    /// The next message as a list (`[b"message", channel, data]`, …), or
    /// `None` when none arrives within `timeout` seconds (`None`: wait).
    #[pyo3(signature = (timeout=None))]
    fn get_message<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let wait = timeout
            .map(|s| Duration::try_from_secs_f64(s.max(0.0)))
            .transpose()
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("timeout: {e}")))?;
        let frame = run(py, async {
            let mut connection = self.connection.lock().await;
            let Some(connection) = connection.as_mut() else {
                return Ok(None);
            };
            match wait {
                // `read` is cancel-safe: a timeout loses nothing.
                Some(wait) => match tokio::time::timeout(wait, connection.read()).await {
                    Ok(frame) => frame.map(Some),
                    Err(_) => Ok(None),
                },
                None => connection.read().await.map(Some),
            }
        })?;
        frame
            .map(|f| reply::to_python(py, &f, self.decode))
            .transpose()
    }

    /// Closes the connection (a later subscription opens another).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, async {
            self.connection.lock().await.take();
            Ok(())
        })
    }
}
