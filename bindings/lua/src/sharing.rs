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
use redwire::cache::{Cache, CacheConfig};
use redwire::{
    spinning, Args, Config, Effects, Endpoint, Error, Frame, Keepalive, Phase, PoolKey, Pools,
    SharedConnection, DEFAULT_MAX_POOLS,
};

use crate::checkout::{Checkout, Shared};
use crate::convert;

/// What sets shared connections apart: what makes connections differ on
/// the server's side ([`PoolKey`]), the commands refused before they are
/// sent (a connector's `disabled_commands`), and the dead-peer detection
/// (`keepalive`, `peer_timeout`). Not the timeouts: a shared
/// connection is made with none but the default connect timeout, and each
/// object bounds its own requests on it (so that objects whose timeouts
/// differ still share one, and no object's bounds another's).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SharedKey {
    pool: PoolKey,
    disabled: Vec<String>,
    /// The dead-peer detection, which is the connection's own.
    keepalive: Option<Keepalive>,
    peer_timeout: Option<Duration>,
    /// The cache its reads go through (one per state and key: shared by
    /// the coroutines of every run).
    cache: Option<CacheConfig>,
}

impl SharedKey {
    pub(crate) fn new(config: &Config, disabled: &[String]) -> Self {
        Self {
            pool: PoolKey::of(config),
            disabled: disabled.to_vec(),
            keepalive: config.get_keepalive(),
            peer_timeout: config.get_peer_timeout(),
            cache: None,
        }
    }

    /// The key of a shared connection whose reads go through a cache.
    pub(crate) fn cached(self, cache: Option<&CacheConfig>) -> Self {
        Self {
            cache: cache.cloned(),
            ..self
        }
    }
}

/// The state's shared connections, by key, at most [`DEFAULT_MAX_POOLS`]:
/// one more lets the one handed out least recently go from the map (its
/// connection stays while objects hold it, and closes with the last).
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

/// Keeps `connection` as `key`'s.
fn add(lua: &Lua, key: SharedKey, connection: SharedConnection) -> SharedConnection {
    let state = state_shared(lua);
    let mut shared = state.0.borrow_mut();
    if shared.connections.len() >= DEFAULT_MAX_POOLS {
        let least = shared
            .connections
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(key, _)| key.clone());
        if let Some(least) = least {
            shared.connections.remove(&least);
        }
    }
    shared.handed_out += 1;
    let now = shared.handed_out;
    shared.connections.insert(key, (connection.clone(), now));
    connection
}

/// The shared connection for the server of `config` (`key`'s; made, the
/// first time, with `shared_config`, and following the failovers that the
/// sentinels of `config`'s pool in `pools` tell). While it is not live (not
/// made yet, or failed), a pooled connection of `config` is taken from
/// `pools` and given back first, so that a wrong address or password, or a
/// server down, fails here as a connect always did.
pub(crate) async fn connection(
    lua: &Lua,
    pools: &Pools,
    config: &Config,
    key: SharedKey,
    shared_config: impl FnOnce() -> std::result::Result<Config, String>,
) -> std::result::Result<SharedConnection, String> {
    let found = known(lua, &key);
    if !found.as_ref().is_some_and(SharedConnection::is_live) {
        pools.get(config).await.map_err(|e| e.to_string())?;
    }
    if let Some(found) = found {
        return Ok(found);
    }
    let shared = match &key.cache {
        Some(cache) => SharedConnection::with_cache(shared_config()?, Cache::new(cache.clone()))
            .map_err(|e| e.to_string())?,
        None => SharedConnection::new(shared_config()?),
    };
    if matches!(config.endpoint(), Endpoint::Sentinel(_)) {
        shared.follow(&pools.pool(config).map_err(|e| e.to_string())?);
    }
    // Another coroutine may have made one meanwhile.
    Ok(known(lua, &key).unwrap_or_else(|| add(lua, key, shared)))
}

/// Why `WAIT` sent alone by an object whose commands went on the shared
/// connection is refused: it would count the writes of a connection that
/// did not make them.
const WAIT_ALONE: &str = "WAIT counts the writes made before it on its own connection, and this client's went on the shared one: send the writes and WAIT together in one pipeline";

/// Whether a command may go on the shared connection: it neither blocks
/// nor leaves state on its connection, and it is not about the object's
/// own connection (`CLIENT ID`, … name the connection that answers; `WAIT`
/// and `WAITAOF` count the writes before them on theirs).
fn goes_shared(args: &impl Args, [name, sub]: &[Vec<u8>; 2]) -> bool {
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

/// An object's way to its server's shared connection.
pub(crate) struct Sharing {
    shared: SharedConnection,
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
    pub(crate) fn new(shared: SharedConnection, config: &Config) -> Self {
        Self {
            shared,
            endpoint: config.endpoint().to_string(),
            went: Cell::new(false),
        }
    }

    /// Drops from the cache, if any, what `pipeline` may write: for
    /// commands sent on the object's own connection, before and after.
    pub(crate) fn forget_written(&self, pipeline: &redwire::Pipeline) {
        if let Some(cache) = self.cache() {
            cache.forget_written(pipeline);
        }
    }

    /// The cache its shared connection's reads go through, if any.
    pub(crate) fn cache(&self) -> Option<&std::sync::Arc<Cache>> {
        self.shared.cache()
    }

    /// Whether the shared connection refuses the command `name` before
    /// sending it (disabled).
    pub(crate) fn refuses(&self, name: &[u8]) -> bool {
        self.shared.refuses(name)
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
        let words = first_words(args);
        if !goes_shared(args, &words) {
            let wait = matches!(words[0].as_slice(), b"WAIT" | b"WAITAOF");
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
        let request = spinning(self.shared.cmd(args), spin);
        let bounded = async {
            let Some(after) = timeout else {
                return request.await;
            };
            let started = Instant::now();
            tokio::time::timeout(after, request)
                .await
                .unwrap_or_else(|_| {
                    self.shared.close_if_stalled(started);
                    Err(Error::Timeout {
                        phase: Phase::Read,
                        endpoint: self.endpoint.clone(),
                        after,
                    })
                })
        };
        Ok(match lease.run(bounded).await {
            // A cache's connection speaks RESP3: its replies shown as
            // RESP2's, as every other connection's here.
            Some(Ok(frame)) if self.shared.cache().is_some() => {
                Outcome::Reply(Ok(convert::as_resp2(&words[0], frame)))
            }
            Some(reply) => Outcome::Reply(reply),
            None => Outcome::Closed,
        })
    }
}
