//! The state's shared connections: the commands that may share a
//! connection, of every `redis` client and `redwire.connector` connection
//! of one server, in every coroutine and run, go on one multiplexed
//! connection, written together. An object takes a pooled connection of its
//! own (see [`Checkout::lazy`]) for the first command that needs one
//! (blocking, stateful, a read, a pipeline), and keeps it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mlua::{Lua, MultiValue, Result};
use redwire::{
    spinning, Args, Config, Effects, Error, Frame, Phase, PoolKey, Pools, SharedConnection,
    DEFAULT_MAX_POOLS,
};

use crate::checkout::{Checkout, Shared};
use crate::convert;

/// What sets shared connections apart: what makes connections differ on
/// the server's side ([`PoolKey`]; not the timeouts, which each object
/// applies to its own requests), and the commands refused before they are
/// sent (a connector's `disabled_commands`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SharedKey {
    pool: PoolKey,
    disabled: Vec<String>,
}

impl SharedKey {
    pub(crate) fn new(config: &Config, disabled: &[String]) -> Self {
        Self {
            pool: PoolKey::of(config),
            disabled: disabled.to_vec(),
        }
    }
}

/// The state's shared connections, at most [`DEFAULT_MAX_POOLS`] at once:
/// one more lets the one used least go.
#[derive(Clone, Default)]
struct StateShared(Rc<RefCell<ByKey>>);

/// The shared connections, and when each was last handed out.
#[derive(Default)]
struct ByKey {
    connections: HashMap<SharedKey, (SharedConnection, u64)>,
    handed_out: u64,
}

fn state_shared(lua: &Lua) -> StateShared {
    if let Some(state) = lua.app_data_ref::<StateShared>() {
        return state.clone();
    }
    let state = StateShared::default();
    lua.set_app_data(state.clone());
    state
}

/// The shared connection for `key`, if the state has one.
fn known(lua: &Lua, key: &SharedKey) -> Option<SharedConnection> {
    let state = state_shared(lua);
    let mut shared = state.0.borrow_mut();
    shared.handed_out += 1;
    let now = shared.handed_out;
    let (connection, used) = shared.connections.get_mut(key)?;
    *used = now;
    Some(connection.clone())
}

/// A new shared connection for `key`, made with `config`, kept.
fn add(lua: &Lua, key: SharedKey, config: Config) -> SharedConnection {
    let state = state_shared(lua);
    let mut shared = state.0.borrow_mut();
    if shared.connections.len() >= DEFAULT_MAX_POOLS {
        let least = shared
            .connections
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(key, _)| key.clone());
        if let Some((old, _)) = least.and_then(|key| shared.connections.remove(&key)) {
            old.close();
        }
    }
    shared.handed_out += 1;
    let now = shared.handed_out;
    let connection = SharedConnection::new(config);
    shared.connections.insert(key, (connection.clone(), now));
    connection
}

/// The shared connection for `key`: the state's, or a new one made with
/// `config`.
fn connection_for(lua: &Lua, key: &SharedKey, config: &Config) -> SharedConnection {
    known(lua, key).unwrap_or_else(|| add(lua, key.clone(), config.clone()))
}

/// Checks that the server of `config` answers while its shared connection
/// (`key`'s) is not live (not made yet, or failed): a pooled connection of
/// `config` is taken from `pools` and given back, so that a wrong address
/// or password, or a server down, fails a connect as it always did.
pub(crate) async fn check(
    lua: &Lua,
    pools: &Pools,
    config: &Config,
    key: &SharedKey,
) -> std::result::Result<(), String> {
    if known(lua, key).is_some_and(|shared| shared.is_live()) {
        return Ok(());
    }
    pools.get(config).await.map(drop).map_err(|e| e.to_string())
}

/// Why `WAIT` sent alone by an object whose commands went on the shared
/// connection is refused: it would count the writes of a connection that
/// did not make them.
const WAIT_ALONE: &str = "WAIT counts the writes made before it on its own connection, and this client's went on the shared one: send the writes and WAIT together in one pipeline";

/// Whether a command may go on the shared connection: it neither blocks
/// nor leaves state on its connection, and it is not about the object's
/// own connection (`CLIENT ID`, … name the connection that answers; `WAIT`
/// and `WAITAOF` count the writes before them on theirs).
fn goes_shared(args: &impl Args) -> bool {
    let [name, sub] = first_words(args);
    Effects::of(args).shares()
        && !matches!(name.as_slice(), b"CLIENT" | b"WAIT" | b"WAITAOF")
        // Debugging mode is per connection.
        && !(name == b"SCRIPT" && sub == b"DEBUG")
}

/// A command's first two words, upper case.
fn first_words(args: &impl Args) -> [Vec<u8>; 2] {
    let mut words = [Vec::new(), Vec::new()];
    let mut at = 0;
    args.for_each_arg(&mut |arg| {
        if at < 2 {
            words[at] = arg.to_ascii_uppercase();
            at += 1;
        }
    });
    words
}

/// An object's way to its server's shared connection, looked up for each
/// request (the state keeps a bounded number; one let go is made again).
pub(crate) struct Sharing {
    key: SharedKey,
    /// What the shared connection is made with.
    config: Config,
    /// The server, as errors name it.
    endpoint: String,
    /// Whether a command of its went on the shared connection (a `WAIT` on
    /// its own connection would not count that one's writes).
    went: Cell<bool>,
}

/// Where a command went.
pub(crate) enum Outcome {
    /// On the shared connection: its reply or error.
    Reply(std::result::Result<Frame, Error>),
    /// On the shared connection, stopped by `close`.
    Closed,
    /// Nowhere: the `nil, err` to return.
    Refused(MultiValue),
    /// Nowhere yet: it goes on the object's own connection.
    Own,
}

impl Sharing {
    /// The way to the shared connection for `key`, made with `config`.
    pub(crate) fn new(key: SharedKey, config: Config) -> Self {
        Self {
            endpoint: config.endpoint().to_string(),
            key,
            config,
            went: Cell::new(false),
        }
    }

    /// Whether the shared connection refuses the command `name` before
    /// sending it (disabled).
    pub(crate) fn refuses(&self, lua: &Lua, name: &[u8]) -> bool {
        connection_for(lua, &self.key, &self.config).refuses(name)
    }

    /// Runs `args` on the shared connection when it may go there and
    /// `checkout` has no connection of its own (the object busy meanwhile,
    /// and stopped by `close`), within `timeout`: past it the request is
    /// dropped (its reply, when it comes, too), and the shared connection
    /// let go if it answered nothing meanwhile (a peer gone silent); the
    /// other objects' requests go on. Polls for `spin` before sleeping.
    pub(crate) async fn run(
        &self,
        lua: &Lua,
        checkout: &Checkout,
        args: &impl Args,
        spin: Duration,
        timeout: Option<Duration>,
    ) -> Result<Outcome> {
        if !goes_shared(args) {
            let wait = matches!(first_words(args)[0].as_slice(), b"WAIT" | b"WAITAOF");
            if wait && self.went.get() {
                return convert::failure(lua, WAIT_ALONE).map(Outcome::Refused);
            }
            return Ok(Outcome::Own);
        }
        let mut lease = match checkout.lease_shared(lua).await? {
            Shared::Lease(lease) => lease,
            Shared::Refused(failure) => return Ok(Outcome::Refused(failure)),
            Shared::Own => return Ok(Outcome::Own),
        };
        self.went.set(true);
        let shared = connection_for(lua, &self.key, &self.config);
        let request = spinning(shared.cmd(args), spin);
        let bounded = async {
            let Some(after) = timeout else {
                return request.await;
            };
            let started = Instant::now();
            tokio::time::timeout(after, request)
                .await
                .unwrap_or_else(|_| {
                    shared.close_if_stalled(started);
                    Err(Error::Timeout {
                        phase: Phase::Read,
                        endpoint: self.endpoint.clone(),
                        after,
                    })
                })
        };
        Ok(match lease.run(bounded).await {
            Some(reply) => Outcome::Reply(reply),
            None => Outcome::Closed,
        })
    }
}
