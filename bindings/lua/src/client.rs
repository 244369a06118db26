//! `redis`: `redis.connect(config)` and the client it returns.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::checkout::{Checkout, Shared, CLOSED_WHILE_WAITING};
use crate::config::ClientConfig;
use crate::convert;
use crate::lua_stack;
use crate::runtime;
use mlua::{
    Lua, MultiValue, Result, Table, UserData, UserDataFields, UserDataMethods, UserDataRef, Value,
    Variadic,
};
use redwire::{
    spinning, Args, Effects, Frame, Phase, Pipeline, PoolConfig, PoolKey, Pools, SharedConnection,
    WhenFull, DEFAULT_MAX_POOLS, SPIN,
};
use std::time::{Duration, Instant};

/// The state's pools, by `host:port/db[+ssl]` and credentials; a full pool
/// hands out a connection that is closed on release.
#[derive(Clone)]
struct StatePools(Rc<Pools>);

fn pools(lua: &Lua) -> StatePools {
    if let Some(pools) = lua.app_data_ref::<StatePools>() {
        return pools.clone();
    }
    let pools = StatePools(Rc::new(Pools::new(
        PoolConfig::default().when_full(WhenFull::Overflow),
    )));
    lua.set_app_data(pools.clone());
    pools
}

/// The state's shared connections, by what makes connections differ on
/// the server's side ([`PoolKey`]: not the timeouts, which each client
/// applies to its own requests): the commands that may share a connection,
/// of every client of one server, in every coroutine and run, go on one
/// multiplexed connection, written together. At most [`DEFAULT_MAX_POOLS`]
/// servers at once: one more lets the one used least go.
#[derive(Clone, Default)]
struct StateShared(Rc<RefCell<ByServer>>);

/// The shared connections, and when each was last handed out.
#[derive(Default)]
struct ByServer {
    connections: HashMap<PoolKey, (SharedConnection, u64)>,
    handed_out: u64,
}

/// The shared connection for `cfg`'s server, if the state has one.
fn shared_for(lua: &Lua, key: &PoolKey) -> Option<SharedConnection> {
    let state = state_shared(lua);
    let mut shared = state.0.borrow_mut();
    shared.handed_out += 1;
    let now = shared.handed_out;
    let (connection, used) = shared.connections.get_mut(key)?;
    *used = now;
    Some(connection.clone())
}

/// A new shared connection for `key`, made with `config`, kept.
fn add_shared(lua: &Lua, key: PoolKey, config: redwire::Config) -> SharedConnection {
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

fn state_shared(lua: &Lua) -> StateShared {
    if let Some(state) = lua.app_data_ref::<StateShared>() {
        return state.clone();
    }
    let state = StateShared::default();
    lua.set_app_data(state.clone());
    state
}

/// Whether a command may go on the shared connection: it neither blocks
/// nor leaves state on its connection, and it is not about the client's own
/// connection (`CLIENT ID`, … name the connection that answers; `WAIT` and
/// `WAITAOF` count the writes before them on theirs).
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

pub(crate) fn module(lua: &Lua) -> Result<Table> {
    let redis = lua.create_table()?;
    redis.set("null", convert::null())?;
    redis.set("connect", lua.create_async_function(connect)?)?;
    Ok(redis)
}

/// `redis.connect(config)`: a client, or `nil, err`.
async fn connect(lua: Lua, config: Value) -> Result<MultiValue> {
    if let Err(why) = runtime::ready_to_wait(&lua).await {
        return convert::failure(&lua, &why);
    }
    let cfg = match ClientConfig::from_lua(&config) {
        Ok(cfg) => cfg,
        Err(e) => return convert::failure(&lua, &e),
    };
    let config = match cfg.to_config() {
        Ok(config) => config,
        Err(e) => return convert::failure(&lua, &e),
    };
    let pools = pools(&lua);
    let key = PoolKey::of(&config);
    let known = shared_for(&lua, &key);
    // While the server's shared connection is not live (not made yet, or
    // failed), a pooled connection is checked out (and given back), so that
    // a wrong address or password, or a server down, fails here as it
    // always did.
    if !known.as_ref().is_some_and(SharedConnection::is_live) {
        if let Err(e) = pools.0.get(&config).await {
            return convert::failure(&lua, &e.to_string());
        }
    }
    let shared = if let Some(shared) = known {
        shared
    } else {
        let shared_config = match cfg.to_shared_config() {
            Ok(config) => config,
            Err(e) => return convert::failure(&lua, &e),
        };
        // Another coroutine may have made it meanwhile.
        shared_for(&lua, &key).unwrap_or_else(|| add_shared(&lua, key, shared_config))
    };
    let client = Client {
        went_shared: std::cell::Cell::new(false),
        endpoint: config.endpoint().to_string(),
        cfg,
        checkout: Checkout::lazy(&lua, pools.0, config)?,
        shared,
    };
    Ok(MultiValue::from_vec(vec![Value::UserData(
        lua.create_userdata(client)?,
    )]))
}

/// Why `WAIT` sent alone by a client whose commands went on the shared
/// connection is refused: it would count the writes of a connection that
/// did not make them.
const WAIT_ALONE: &str = "WAIT counts the writes made before it on its own connection, and this client's went on the shared one: send the writes and WAIT together in one pipeline";

impl Client {
    /// Runs a command on the shared connection within the client's
    /// `timeout`: past it the request is dropped (its reply, when it comes,
    /// too), and the shared connection let go if it answered nothing
    /// meanwhile (a peer gone silent); others' requests go on.
    async fn on_shared(
        &self,
        args: &impl Args,
        spin: Duration,
    ) -> std::result::Result<Frame, redwire::Error> {
        let request = spinning(self.shared.cmd(args), spin);
        let Some(after) = self.cfg.timeout() else {
            return request.await;
        };
        let started = Instant::now();
        tokio::time::timeout(after, request)
            .await
            .unwrap_or_else(|_| {
                self.shared.close_if_stalled(started);
                Err(redwire::Error::Timeout {
                    phase: Phase::Read,
                    endpoint: self.endpoint.clone(),
                    after,
                })
            })
    }
}

/// A connected client. Its commands that may share a connection go on the
/// state's shared connection for its server; the others (blocking ones,
/// `SELECT`, `MULTI`, `read`, pipelines), and every command after one of
/// them, on a pooled connection of its own, taken on the first such
/// request and given back on `close()` (or when the client is collected).
struct Client {
    cfg: ClientConfig,
    checkout: Checkout,
    shared: SharedConnection,
    /// The server, as errors name it.
    endpoint: String,
    /// Whether a command of its went on the shared connection (a `WAIT` on
    /// its own connection would not count that one's writes).
    went_shared: std::cell::Cell<bool>,
}

impl UserData for Client {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("cfg", |lua, this| this.cfg.to_table(lua));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_async_method("cmd", cmd);
        methods.add_async_method("pipeline", pipeline);
        methods.add_async_method("read", read);
        methods.add_async_method(
            "close",
            |_lua, this, no_keepalive: Option<bool>| async move {
                this.checkout.release(no_keepalive == Some(true));
                Ok(true)
            },
        );
    }
}

/// `client:cmd(...)`: the reply, or `nil, err`.
async fn cmd(lua: Lua, this: UserDataRef<Client>, args: Variadic<Value>) -> Result<MultiValue> {
    // Taken (copied) now: no Lua reference is held while the request waits.
    let args = match convert::args(&lua, args) {
        Ok(args) if !args.is_empty() => args,
        Ok(_) => return convert::failure(&lua, "cmd needs a command name"),
        Err(e) => return convert::failure(&lua, &e),
    };
    let spin = if runtime::alone(&lua) {
        SPIN
    } else {
        Duration::ZERO
    };
    if goes_shared(&args) {
        match this.checkout.lease_shared(&lua).await? {
            Shared::Lease(mut lease) => {
                this.went_shared.set(true);
                return match lease.run(this.on_shared(&args, spin)).await {
                    Some(Ok(frame)) => convert::returned(&lua, &frame),
                    Some(Err(e)) => convert::failed(&lua, &e),
                    None => convert::failure(&lua, CLOSED_WHILE_WAITING),
                };
            }
            Shared::Refused(failure) => return Ok(failure),
            Shared::Own => {}
        }
    }
    if matches!(first_words(&args)[0].as_slice(), b"WAIT" | b"WAITAOF") && this.went_shared.get() {
        return convert::failure(&lua, WAIT_ALONE);
    }
    let mut lease = match this.checkout.lease(&lua).await? {
        Ok(lease) => lease,
        Err(failure) => return Ok(failure),
    };
    match spinning(lease.run(|connection| connection.cmd(&args)), spin).await {
        Some(Ok(frame)) => convert::returned(&lua, &frame),
        Some(Err(e)) => convert::failed(&lua, &e),
        None => convert::failure(&lua, CLOSED_WHILE_WAITING),
    }
}

/// `client:pipeline(commands)`: `{ {value}, {nil}, {nil, err}, … }`, or
/// `nil, err` when the connection fails.
async fn pipeline(lua: Lua, this: UserDataRef<Client>, commands: Value) -> Result<MultiValue> {
    let mut pipeline = Pipeline::new();
    // Read (encoded) now: no Lua reference is held while the request waits.
    match commands {
        Value::Nil => {}
        Value::Table(commands) => {
            if let Err(why) = lua_stack::read_commands(&lua, &commands, &mut pipeline)? {
                return convert::failure(&lua, &why);
            }
        }
        other => {
            let why = format!(
                "commands must be a table of commands, got {}",
                other.type_name()
            );
            return convert::failure(&lua, &why);
        }
    }
    if pipeline.is_empty() {
        return Ok(MultiValue::from_vec(vec![Value::Table(
            lua.create_table()?,
        )]));
    }
    let mut lease = match this.checkout.lease(&lua).await? {
        Ok(lease) => lease,
        Err(failure) => return Ok(failure),
    };
    let replies = match lease.run(|connection| connection.pipeline(&pipeline)).await {
        Some(Ok(replies)) => replies,
        Some(Err(e)) => return convert::failed(&lua, &e),
        None => return convert::failure(&lua, CLOSED_WHILE_WAITING),
    };
    let results = lua_stack::pipeline_results(&lua, &replies)?;
    Ok(MultiValue::from_vec(vec![Value::Table(results)]))
}

/// `client:read()`: `{ type = …, value = … }`, or `nil, err`.
async fn read(lua: Lua, this: UserDataRef<Client>, (): ()) -> Result<MultiValue> {
    let mut lease = match this.checkout.lease(&lua).await? {
        Ok(lease) => lease,
        Err(failure) => return Ok(failure),
    };
    let Some(read) = lease.run(|connection| connection.read()).await else {
        return convert::failure(&lua, CLOSED_WHILE_WAITING);
    };
    match read {
        Ok(frame) => {
            let message = lua.create_table()?;
            message.set("type", frame.type_name())?;
            message.set("value", read_value(&lua, &frame)?)?;
            Ok(MultiValue::from_vec(vec![Value::Table(message)]))
        }
        Err(e) => convert::failed(&lua, &e),
    }
}

/// `read()`'s value: an error reply's message as a string.
fn read_value(lua: &Lua, frame: &Frame) -> Result<Value> {
    match frame {
        Frame::Error(message) | Frame::BulkError(message) => {
            Ok(Value::String(lua.create_string(message)?))
        }
        other => convert::value(lua, other),
    }
}
