//! A pooled connection held by a Lua object until it is closed, released
//! or collected, lent to one request at a time.
//!
//! A request takes the connection ([`Checkout::lease`]) and gives it back
//! when it ends. While one runs, another request on the same object is
//! refused at once (never queued behind it); `close` stops it and closes
//! the connection, also from another coroutine (a subscriber waiting in
//! `read`, a `BLPOP`). A request that never ended (its coroutine abandoned,
//! a yield that failed half-way) takes the connection with it: the object
//! then says so, and the connection is closed, never pooled again.

use std::cell::RefCell;
use std::future::Future;

use mlua::{Lua, MultiValue, Result};
use redwire::PooledConnection;
use tokio::sync::oneshot;

use crate::convert;
use crate::runtime::{self, Runtime};

/// Why there is no connection.
const CLOSED: &str = "the connection is closed";
const INTERRUPTED: &str =
    "an earlier request on this connection did not finish (its coroutine was abandoned, or it could not wait where it ran): the connection was closed";
const BUSY: &str = "the connection is busy with another request (one coroutine at a time)";

/// Where the connection is.
#[allow(clippy::large_enum_variant)] // one per object, and boxing would allocate per request
enum State {
    /// Ready for a request.
    Idle(PooledConnection),
    /// Lent to a request; sending on `stop` ends it.
    Lent { stop: Option<oneshot::Sender<()>> },
    /// Released, closed, or lost with a request that never ended.
    Gone(&'static str),
}

/// A checked-out connection; it goes back to its pool on
/// [`release`](Self::release), or when the object holding it is collected.
pub(crate) struct Checkout {
    state: RefCell<State>,
    runtime: Runtime,
}

impl Checkout {
    pub(crate) fn new(lua: &Lua, connection: PooledConnection) -> Result<Self> {
        Ok(Self {
            state: RefCell::new(State::Idle(connection)),
            runtime: runtime::runtime(lua)?,
        })
    }

    /// The connection, lent for one request; or the `nil, err` to return
    /// instead (outside `lev.run`, released, busy, lost).
    pub(crate) async fn lease(
        &self,
        lua: &Lua,
    ) -> Result<std::result::Result<Lease<'_>, MultiValue>> {
        if let Err(why) = runtime::ready_to_wait(lua).await {
            return convert::failure(lua, &why).map(Err);
        }
        let (stop, stopped) = oneshot::channel();
        let mut state = self.state.borrow_mut();
        match std::mem::replace(&mut *state, State::Lent { stop: Some(stop) }) {
            State::Idle(connection) => Ok(Ok(Lease {
                checkout: self,
                connection: Some(connection),
                stopped,
                ended: false,
            })),
            other => {
                let why = match &other {
                    State::Lent { .. } => BUSY,
                    State::Gone(why) => why,
                    State::Idle(_) => CLOSED,
                };
                *state = other;
                drop(state);
                convert::failure(lua, why).map(Err)
            }
        }
    }

    /// Whether the connection refuses the command `name` before sending it;
    /// `None` when there is none now (released, lent, lost).
    pub(crate) fn refuses(&self, name: &[u8]) -> Option<bool> {
        match &*self.state.borrow() {
            State::Idle(connection) => Some(connection.refuses(name)),
            _ => None,
        }
    }

    /// Sets the connection's send and read timeouts (`None`: none), until
    /// it goes back to its pool; an error when no request may use it now.
    pub(crate) fn set_timeouts(
        &self,
        send: Option<std::time::Duration>,
        read: Option<std::time::Duration>,
    ) -> std::result::Result<(), &'static str> {
        match &mut *self.state.borrow_mut() {
            State::Idle(connection) => {
                connection.set_send_timeout(send);
                connection.set_read_timeout(read);
                Ok(())
            }
            State::Lent { .. } => Err(BUSY),
            State::Gone(why) => Err(why),
        }
    }

    /// Gives the connection back to its pool (closed instead when `force`,
    /// or when it is not reusable); a request running on it is stopped and
    /// its connection closed. `false` when it was already released.
    pub(crate) fn release(&self, force: bool) -> bool {
        let _runtime = self.runtime.0.enter();
        let mut state = self.state.borrow_mut();
        match std::mem::replace(&mut *state, State::Gone(CLOSED)) {
            State::Idle(connection) => {
                drop(state);
                if force {
                    connection.force_close();
                }
                true
            }
            State::Lent { stop } => {
                if let Some(stop) = stop {
                    let _ = stop.send(());
                }
                true
            }
            State::Gone(why) => why == INTERRUPTED,
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        // Releasing to the pool needs the runtime, even when collected
        // outside `lev.run`.
        let _runtime = self.runtime.0.enter();
        *self.state.get_mut() = State::Gone(CLOSED);
    }
}

/// The connection lent to one request.
pub(crate) struct Lease<'a> {
    checkout: &'a Checkout,
    /// `None` only while dropped.
    connection: Option<PooledConnection>,
    /// Ends the request: `close` was called.
    stopped: oneshot::Receiver<()>,
    /// Whether the request ran to its end.
    ended: bool,
}

impl Lease<'_> {
    /// Runs `request` on the connection: its outcome, or `None` when
    /// `close` stopped it first.
    pub(crate) async fn run<'l, T, F>(
        &'l mut self,
        request: impl FnOnce(&'l mut PooledConnection) -> F,
    ) -> Option<T>
    where
        F: Future<Output = T> + 'l,
    {
        let Self {
            connection,
            stopped,
            ended,
            ..
        } = self;
        let connection = connection.as_mut()?;
        let outcome = tokio::select! {
            biased;
            _ = stopped => None,
            outcome = request(connection) => Some(outcome),
        };
        *ended = outcome.is_some();
        outcome
    }
}

/// Gives the connection back: to the object when the request ended, else
/// (stopped by `close`, or dropped half-way) closed for good.
impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        let _runtime = self.checkout.runtime.0.enter();
        let mut state = self.checkout.state.borrow_mut();
        match &*state {
            State::Lent { .. } if self.ended => *state = State::Idle(connection),
            State::Lent { .. } => {
                *state = State::Gone(INTERRUPTED);
                drop(state);
                connection.force_close();
            }
            // Closed while lent: closed for good.
            State::Gone(_) | State::Idle(_) => {
                drop(state);
                connection.force_close();
            }
        }
    }
}
