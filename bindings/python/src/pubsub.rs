//! `NativePubSub`: a connection of its own for subscriptions.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use redwire::{Connection, Connector, Error, Frame};
use tokio::sync::Mutex;

use crate::args::FlatArgs;
use crate::client::run;
use crate::completions::{Completions, Outcome};
use crate::reply;

/// The connection, made on the first subscription.
struct Subscriber {
    connector: Connector,
    connection: Mutex<Option<Connection>>,
}

impl Subscriber {
    /// Sends a (un)subscribe command, connecting first if needed.
    async fn send(&self, args: &FlatArgs) -> Result<Frame, Error> {
        let mut connection = self.connection.lock().await;
        if connection.as_ref().is_none_or(Connection::is_broken) {
            *connection = Some(self.connector.connect().await?);
        }
        match connection.as_mut() {
            Some(connection) => connection.cmd(args).await,
            None => Err(Error::EmptyCommand),
        }
    }

    /// The next message, or `None` after `wait` (or with no connection).
    async fn next(&self, wait: Option<Duration>) -> Result<Option<Frame>, Error> {
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
    }
}

/// `timeout` seconds (`None`: wait for a message).
fn wait(timeout: Option<f64>) -> PyResult<Option<Duration>> {
    timeout
        .map(|s| Duration::try_from_secs_f64(s.max(0.0)))
        .transpose()
        .map_err(|e| PyValueError::new_err(format!("timeout: {e}")))
}

/// A pub/sub connection: (un)subscribe commands and the messages that
/// arrive, read with a timeout; each also as an asyncio awaitable.
#[pyclass(frozen, module = "redwire._native")]
pub(crate) struct NativePubSub {
    subscriber: Arc<Subscriber>,
    decode: bool,
}

impl NativePubSub {
    pub(crate) fn new(connector: Connector, decode: bool) -> Self {
        Self {
            subscriber: Arc::new(Subscriber {
                connector,
                connection: Mutex::new(None),
            }),
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
        let frame = run(py, self.subscriber.send(&args))?;
        reply::to_python(py, &frame, self.decode)
    }

    /// Starts `execute` as asyncio request `id`.
    fn submit(
        &self,
        completions: &Completions,
        id: u64,
        args: &Bound<'_, PyTuple>,
    ) -> PyResult<()> {
        let args = FlatArgs::from_tuple(args)?;
        let subscriber = self.subscriber.clone();
        completions.spawn(id, async move {
            subscriber.send(&args).await.map(Outcome::Reply)
        })
    }

    /// The next message as a list (`[b"message", channel, data]`, …), or
    /// `None` when none arrives within `timeout` seconds (`None`: wait).
    #[pyo3(signature = (timeout=None))]
    fn get_message<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let frame = run(py, self.subscriber.next(wait(timeout)?))?;
        frame
            .map(|f| reply::to_python(py, &f, self.decode))
            .transpose()
    }

    /// Starts `get_message` as asyncio request `id`.
    #[pyo3(signature = (completions, id, timeout=None))]
    fn submit_message(
        &self,
        completions: &Completions,
        id: u64,
        timeout: Option<f64>,
    ) -> PyResult<()> {
        let wait = wait(timeout)?;
        let subscriber = self.subscriber.clone();
        completions.spawn(id, async move {
            subscriber.next(wait).await.map(Outcome::Message)
        })
    }

    /// Closes the connection (a later subscription opens another).
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        run(py, async {
            self.subscriber.connection.lock().await.take();
            Ok(())
        })
    }
}
