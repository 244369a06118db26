//! A pooled connection held by a Lua object until it is closed, released
//! or collected, lent to one request at a time; taken from its pool on the
//! first request that needs one of its own (a lazy checkout, see
//! [`Checkout::lazy`]), and meanwhile the object's shareable commands go on
//! the state's shared connection ([`Checkout::lease_shared`]).
//!
//! A request takes the connection ([`Checkout::lease`]) and gives it back
//! when it ends. While one runs, another request on the same object is
//! refused at once (never queued behind it); `close` stops it and closes
//! the connection, also from another coroutine (a subscriber waiting in
//! `read`, a `BLPOP`). A request that never ended (its coroutine abandoned,
//! a yield that failed half-way) takes the connection with it: the object
//! then says so, and the connection is closed, never pooled again.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use mlua::{Lua, MultiValue, Result};
use redwire::{Config, PooledConnection, Pools};
use tokio::sync::oneshot;

use crate::convert;
use crate::runtime::{self, Runtime};

/// Why there is no connection.
const CLOSED: &str = "the connection is closed";
const INTERRUPTED: &str =
    "an earlier request on this connection did not finish (its coroutine was abandoned, or it could not wait where it ran): the connection was closed";
const BUSY: &str = "the connection is busy with another request (one coroutine at a time)";
/// What a request stopped by `close` returns (after `nil`).
pub(crate) const CLOSED_WHILE_WAITING: &str = "the connection was closed while the request waited";

/// Where the connection is.
#[allow(clippy::large_enum_variant)] // one per object, and boxing would allocate per request
enum State {
    /// No connection of its own yet: one is taken from `source` when a
    /// request needs it.
    Pending,
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
    /// Where it takes its connection from.
    source: (Rc<Pools>, Config),
    /// The send and read timeouts set while pending, for the connection
    /// it takes.
    timeouts: Cell<Option<Timeouts>>,
}

/// Send and read timeouts (`None`: none).
type Timeouts = (Option<Duration>, Option<Duration>);

/// What [`Checkout::lease_shared`] found.
pub(crate) enum Shared<'a> {
    /// The object has no connection of its own: the request may go on the
    /// shared connection, as this lease (busy meanwhile).
    Lease(SharedLease<'a>),
    /// The object has a connection of its own: the request goes there.
    Own,
    /// The `nil, err` to return instead.
    Refused(MultiValue),
}

impl Checkout {
    /// A checkout that takes a connection of `config` from `pools` on the
    /// first request that needs one.
    pub(crate) fn lazy(lua: &Lua, pools: Rc<Pools>, config: Config) -> Result<Self> {
        Ok(Self {
            state: RefCell::new(State::Pending),
            runtime: runtime::runtime(lua)?,
            source: (pools, config),
            timeouts: Cell::new(None),
        })
    }

    /// A checkout of `connection`, taken from `pools` for `config` already.
    pub(crate) fn taken(
        lua: &Lua,
        pools: Rc<Pools>,
        config: Config,
        connection: PooledConnection,
    ) -> Result<Self> {
        let checkout = Self::lazy(lua, pools, config)?;
        *checkout.state.borrow_mut() = State::Idle(connection);
        Ok(checkout)
    }

    /// For a request that may go on the shared connection: a lease of the
    /// object (busy meanwhile, stopped by `close`) when it has no
    /// connection of its own.
    pub(crate) async fn lease_shared(&self, lua: &Lua) -> Result<Shared<'_>> {
        if let Err(why) = runtime::ready_to_wait(lua).await {
            return convert::failure(lua, &why).map(Shared::Refused);
        }
        let mut state = self.state.borrow_mut();
        let why = match &*state {
            State::Pending => {
                let (stop, stopped) = oneshot::channel();
                *state = State::Lent { stop: Some(stop) };
                return Ok(Shared::Lease(SharedLease {
                    checkout: self,
                    stopped,
                }));
            }
            State::Idle(_) => return Ok(Shared::Own),
            State::Lent { .. } => BUSY,
            State::Gone(why) => why,
        };
        drop(state);
        convert::failure(lua, why).map(Shared::Refused)
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
        let (stop, mut stopped) = oneshot::channel();
        let taken = std::mem::replace(
            &mut *self.state.borrow_mut(),
            State::Lent { stop: Some(stop) },
        );
        let connection = match taken {
            State::Idle(connection) => connection,
            State::Pending => {
                // Dropped half-way (its coroutine abandoned), the object is
                // pending again rather than lent for ever.
                let mut pending = Pending {
                    checkout: self,
                    armed: true,
                };
                let taken = self.take(&mut stopped).await;
                pending.armed = false;
                match taken {
                    Ok(connection) => connection,
                    Err(why) => return convert::failure(lua, &why).map(Err),
                }
            }
            other => {
                let why = match &other {
                    State::Lent { .. } => BUSY,
                    State::Gone(why) => why,
                    State::Idle(_) | State::Pending => CLOSED,
                };
                *self.state.borrow_mut() = other;
                return convert::failure(lua, why).map(Err);
            }
        };
        Ok(Ok(Lease {
            checkout: self,
            connection: Some(connection),
            stopped,
            ended: false,
        }))
    }

    /// A lazy checkout's connection, taken from its pool (the object lent
    /// meanwhile); the object is pending again when that fails, and gone
    /// when `close` came first.
    async fn take(
        &self,
        stopped: &mut oneshot::Receiver<()>,
    ) -> std::result::Result<PooledConnection, String> {
        let (pools, config) = &self.source;
        let taken = tokio::select! {
            biased;
            _ = &mut *stopped => return Err(CLOSED_WHILE_WAITING.to_owned()),
            taken = pools.get(config) => taken,
        };
        let mut state = self.state.borrow_mut();
        match taken {
            // Closed while the pool was asked: the connection goes back.
            Ok(_) if matches!(&*state, State::Gone(_)) => Err(CLOSED_WHILE_WAITING.to_owned()),
            Ok(mut connection) => {
                if let Some((send, read)) = self.timeouts.get() {
                    connection.set_send_timeout(send);
                    connection.set_read_timeout(read);
                }
                Ok(connection)
            }
            Err(e) => {
                if matches!(&*state, State::Lent { .. }) {
                    *state = State::Pending;
                }
                Err(e.to_string())
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
    /// it goes back to its pool (pending, those of the connection it will
    /// take); an error when no request may use it now.
    pub(crate) fn set_timeouts(
        &self,
        send: Option<Duration>,
        read: Option<Duration>,
    ) -> std::result::Result<(), &'static str> {
        match &mut *self.state.borrow_mut() {
            State::Idle(connection) => {
                connection.set_send_timeout(send);
                connection.set_read_timeout(read);
                Ok(())
            }
            State::Pending => {
                self.timeouts.set(Some((send, read)));
                Ok(())
            }
            State::Lent { .. } => Err(BUSY),
            State::Gone(why) => Err(why),
        }
    }

    /// The read timeout [`set_timeouts`](Self::set_timeouts) set while
    /// pending, else `default`.
    pub(crate) fn read_timeout(&self, default: Duration) -> Option<Duration> {
        self.timeouts.get().map_or(Some(default), |(_, read)| read)
    }

    /// Whether it has no connection of its own yet (and none is being
    /// taken or used).
    pub(crate) fn is_pending(&self) -> bool {
        matches!(&*self.state.borrow(), State::Pending)
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
            State::Pending => true,
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
            State::Gone(_) | State::Idle(_) | State::Pending => {
                drop(state);
                connection.force_close();
            }
        }
    }
}

/// The object lent to one request on the shared connection: busy, and
/// stopped by `close`, as with a connection of its own. Dropped, it makes
/// the object ready again (a request on the shared connection that never
/// ended takes nothing with it: its reply is dropped when it comes).
pub(crate) struct SharedLease<'a> {
    checkout: &'a Checkout,
    stopped: oneshot::Receiver<()>,
}

impl SharedLease<'_> {
    /// Runs `request`: its outcome, or `None` when `close` stopped it first.
    pub(crate) async fn run<T>(&mut self, request: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            _ = &mut self.stopped => None,
            outcome = request => Some(outcome),
        }
    }
}

impl Drop for SharedLease<'_> {
    fn drop(&mut self) {
        let mut state = self.checkout.state.borrow_mut();
        if matches!(&*state, State::Lent { .. }) {
            *state = State::Pending;
        }
    }
}

/// Makes a lazy checkout pending again when the request taking its
/// connection is dropped before it got one (see [`Checkout::lease`]).
struct Pending<'a> {
    checkout: &'a Checkout,
    armed: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.checkout.state.borrow_mut();
            if matches!(&*state, State::Lent { .. }) {
                *state = State::Pending;
            }
        }
    }
}
