//! A pooled connection held by a Lua object until it is closed, released
//! or collected.

use mlua::{Lua, MultiValue, Result};
use redwire::{Frame, PooledConnection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::convert;
use crate::runtime::{self, Runtime};

/// What a redis operation outside `lev.run` returns (after `nil`).
pub(crate) const OUTSIDE_RUN: &str = "redis operations must run inside lev.run()";

/// A checked-out connection; it goes back to its pool on
/// [`release`](Self::release), or when the object holding it is collected.
pub(crate) struct Checkout {
    connection: Mutex<Option<PooledConnection>>,
    runtime: Runtime,
}

impl Checkout {
    pub(crate) fn new(lua: &Lua, connection: PooledConnection) -> Result<Self> {
        Ok(Self {
            connection: Mutex::new(Some(connection)),
            runtime: runtime::runtime(lua)?,
        })
    }

    /// The connection, locked for one request; or the `nil, err` to return
    /// outside `lev.run` or after it was released.
    pub(crate) async fn lock(
        &self,
        lua: &Lua,
    ) -> Result<std::result::Result<MappedMutexGuard<'_, PooledConnection>, MultiValue>> {
        if !runtime::inside_run(lua) {
            return convert::failure(lua, OUTSIDE_RUN).map(Err);
        }
        match MutexGuard::try_map(self.connection.lock().await, Option::as_mut) {
            Ok(connection) => Ok(Ok(connection)),
            Err(_) => convert::failure(lua, "the connection is closed").map(Err),
        }
    }

    /// Runs `command`, for callers that checked `lev.run` already; an
    /// error reply is an error.
    pub(crate) async fn ask(&self, command: &[&str]) -> std::result::Result<Frame, String> {
        match self.connection.lock().await.as_mut() {
            Some(connection) => connection.cmd(command).await.map_err(|e| e.to_string()),
            None => Err("the connection is closed".to_owned()),
        }
    }

    /// Gives the connection back to its pool (closed instead when `force`,
    /// or when it is not reusable); `false` when it was already released.
    pub(crate) async fn release(&self, force: bool) -> bool {
        let _runtime = self.runtime.0.enter();
        match self.connection.lock().await.take() {
            Some(connection) => {
                if force {
                    connection.force_close();
                }
                true
            }
            None => false,
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        // Releasing to the pool needs the runtime, even when collected
        // outside `lev.run`.
        let _runtime = self.runtime.0.enter();
        self.connection.get_mut().take();
    }
}
