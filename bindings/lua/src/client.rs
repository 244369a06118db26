//! `redis`: `redis.connect(config)` and the client it returns.

use std::rc::Rc;

use crate::checkout::{Checkout, CLOSED_WHILE_WAITING};
use crate::config::ClientConfig;
use crate::convert;
use crate::lua_stack;
use crate::runtime;
use crate::sharing::{self, Outcome, SharedKey, Sharing};
use mlua::{
    Lua, MultiValue, Result, Table, UserData, UserDataFields, UserDataMethods, UserDataRef, Value,
    Variadic,
};
use redwire::{spinning, Frame, Pipeline, PoolConfig, Pools, WhenFull};

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
    let key = SharedKey::new(&config, &[]).cached(cfg.cache());
    let shared_config = || cfg.to_shared_config();
    let shared = match sharing::connection(&lua, &pools.0, &config, key, shared_config).await {
        Ok(shared) => shared,
        Err(e) => return convert::failure(&lua, &e),
    };
    let client = Client {
        sharing: Sharing::new(shared, &config),
        cfg,
        checkout: Checkout::lazy(&lua, pools.0, config)?,
    };
    Ok(MultiValue::from_vec(vec![Value::UserData(
        lua.create_userdata(client)?,
    )]))
}

/// A connected client. Its commands that may share a connection go on the
/// state's shared connection for its server; the others (blocking ones,
/// `SELECT`, `MULTI`, `read`, pipelines), and every command after one of
/// them, on a pooled connection of its own, taken on the first such
/// request and given back on `close()` (or when the client is collected).
struct Client {
    cfg: ClientConfig,
    checkout: Checkout,
    sharing: Sharing,
}

impl UserData for Client {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("cfg", |lua, this| this.cfg.to_table(lua));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_async_method("cmd", cmd);
        methods.add_async_method("pipeline", pipeline);
        methods.add_async_method("read", read);
        methods.add_method("cache_stats", |lua, this, ()| {
            let stats = this.sharing.cache().map(|cache| cache.stats());
            convert::cache_stats(lua, stats)
        });
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
    let spin = runtime::spin(&lua);
    let on = this
        .sharing
        .run(&lua, &this.checkout, &args, spin, this.cfg.timeout());
    match on.await? {
        Outcome::Reply(Ok(frame)) => return convert::returned(&lua, &frame),
        Outcome::Reply(Err(e)) => return convert::failed(&lua, &e),
        Outcome::Closed => return convert::failure(&lua, CLOSED_WHILE_WAITING),
        Outcome::Refused(failure) => return Ok(failure),
        Outcome::Own => {}
    }
    let mut lease = match this.checkout.lease(&lua).await? {
        Ok(lease) => lease,
        Err(failure) => return Ok(failure),
    };
    // On its own connection: what it may write is dropped from the shared
    // connection's cache before and after.
    let written = this.sharing.cache().map(|_| {
        let mut one = Pipeline::new();
        one.cmd(&args);
        one
    });
    let forget = || {
        if let Some(one) = &written {
            this.sharing.forget_written(one);
        }
    };
    forget();
    let reply = spinning(lease.run(|connection| connection.cmd(&args)), spin).await;
    forget();
    match reply {
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
    this.sharing.forget_written(&pipeline);
    let replies = spinning(
        lease.run(|connection| connection.pipeline(&pipeline)),
        runtime::spin(&lua),
    )
    .await;
    this.sharing.forget_written(&pipeline);
    let replies = match replies {
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
