//! The connection `redwire.connector` hands out, shaped like a
//! lua-resty-redis object: a method per command (`red:set(k, v)`, any
//! command by name), `init_pipeline` / `commit_pipeline` /
//! `cancel_pipeline`, `read_reply`, `set_keepalive` and `close`.
//!
//! A reply is its value (a null: `connector.null`); an error reply is
//! `false, message`; a network error, a timeout or a disabled command is
//! `nil, message`. Inside tables a null is `connector.null` and an error
//! reply `{ false, message }`.

use std::cell::RefCell;
use std::time::Duration;

use mlua::{
    Function, Lua, MetaMethod, MultiValue, Result, Table, UserData, UserDataMethods, UserDataRef,
    Value, Variadic,
};
use redwire::{spinning, Error, Frame, Pipeline};

use crate::checkout::Checkout;
use crate::connector_params::Params;
use crate::convert::{self, LuaArg, NestedError};
use crate::lua_stack;
use crate::runtime;
use crate::sharing::{Outcome, Sharing};

/// A connection of `redwire.connector`. Its commands that may share a
/// connection go on the state's shared connection for its server (see
/// [`crate::sharing`]; none through a proxy); the others (blocking ones,
/// `SELECT`, `MULTI`, `read_reply`, pipelines), and every command after one
/// of them, on a connection of its own from the keepalive pool, taken on
/// the first such request and given back by `set_keepalive`.
pub(crate) struct RestyRedis {
    checkout: Checkout,
    sharing: Option<Sharing>,
    /// Commands queued since `init_pipeline`.
    pipeline: RefCell<Option<Pipeline>>,
    /// Through a proxy: no `DISCARD` before keepalive.
    proxied: bool,
    /// How long a reply may take, unless `set_timeout(s)` says otherwise.
    read_timeout: Duration,
}

impl RestyRedis {
    pub(crate) fn new(checkout: Checkout, sharing: Option<Sharing>, params: &Params) -> Self {
        Self {
            checkout,
            sharing,
            pipeline: RefCell::new(None),
            proxied: params.connection_is_proxied,
            read_timeout: params.read_timeout,
        }
    }

    /// Back to the keepalive pool, leaving a `MULTI` first (unless
    /// proxied); `nil, err` when it was already closed or released.
    pub(crate) async fn keepalive(&self, lua: &Lua) -> Result<MultiValue> {
        if self.checkout.is_pending() {
            // No connection of its own to give back.
            self.checkout.release(false);
            return Ok(MultiValue::from_vec(vec![Value::Integer(1)]));
        }
        match self.checkout.lease(lua).await? {
            Ok(mut lease) => {
                lease
                    .run(|connection| async move {
                        if !self.proxied && !connection.is_broken() && !connection.is_reusable() {
                            // Inside MULTI (or subscribed, which DISCARD
                            // cannot undo: the pool then closes it).
                            let _ = connection.cmd(&["DISCARD"]).await;
                        }
                    })
                    .await;
            }
            Err(failure) => return Ok(failure),
        }
        self.checkout.release(false);
        Ok(MultiValue::from_vec(vec![Value::Integer(1)]))
    }

    /// The connection.
    pub(crate) fn checkout(&self) -> &Checkout {
        &self.checkout
    }

    /// Whether the command `name` is refused before it is sent (disabled);
    /// `None` when there is no connection now (released, lent, lost).
    fn refuses(&self, name: &[u8]) -> Option<bool> {
        match &self.sharing {
            Some(sharing) if self.checkout.is_pending() => Some(sharing.refuses(name)),
            _ => self.checkout.refuses(name),
        }
    }

    /// Runs a command: on the shared connection when it may go there,
    /// else on the connection's own.
    pub(crate) async fn cmd(&self, lua: &Lua, args: &[LuaArg]) -> Result<MultiValue> {
        let spin = runtime::spin(lua);
        if let Some(sharing) = &self.sharing {
            let timeout = self.checkout.read_timeout(self.read_timeout);
            match sharing
                .run(lua, &self.checkout, &args, spin, timeout)
                .await?
            {
                Outcome::Reply(Ok(frame)) => return top_level(lua, &frame),
                Outcome::Reply(Err(e)) => return failed(lua, &e),
                Outcome::Closed => return convert::failure(lua, CLOSED_WHILE_WAITING),
                Outcome::Refused(failure) => return Ok(failure),
                Outcome::Own => {}
            }
        }
        let mut lease = match self.checkout.lease(lua).await? {
            Ok(lease) => lease,
            Err(failure) => return Ok(failure),
        };
        match spinning(lease.run(|connection| connection.cmd(args)), spin).await {
            Some(Ok(frame)) => top_level(lua, &frame),
            Some(Err(e)) => failed(lua, &e),
            None => convert::failure(lua, CLOSED_WHILE_WAITING),
        }
    }
}

/// A top-level reply: its value, or `false, message` for an error reply.
fn top_level(lua: &Lua, frame: &Frame) -> Result<MultiValue> {
    match frame {
        Frame::Error(message) | Frame::BulkError(message) => Ok(MultiValue::from_vec(vec![
            Value::Boolean(false),
            Value::String(lua.create_string(message)?),
        ])),
        other => Ok(MultiValue::from_vec(vec![lua_stack::value(
            lua,
            other,
            NestedError::FalsePair,
        )?])),
    }
}

/// `false, message` for an error reply; else `nil, message`, a refused
/// command in lua-resty-redis-connector's words.
fn failed(lua: &Lua, error: &Error) -> Result<MultiValue> {
    match error {
        Error::Server(reply) => Ok(MultiValue::from_vec(vec![
            Value::Boolean(false),
            Value::String(lua.create_string(reply.message())?),
        ])),
        Error::Disabled { command } => disabled(lua, command),
        other => convert::failure(lua, &other.to_string()),
    }
}

/// What a request stopped by `close` returns (after `nil`).
const CLOSED_WHILE_WAITING: &str = "closed";

/// `nil, "Command x is disabled"`.
fn disabled(lua: &Lua, command: &str) -> Result<MultiValue> {
    convert::failure(
        lua,
        &format!("Command {} is disabled", command.to_ascii_lowercase()),
    )
}

/// Command arguments: `name` then `args`; for `hmset`, a table of fields
/// is flattened into field, value pairs as lua-resty-redis does.
fn command_args(
    lua: &Lua,
    name: &[u8],
    args: Variadic<Value>,
) -> std::result::Result<Vec<LuaArg>, String> {
    let mut values = Vec::with_capacity(args.len() + 1);
    values.push(Value::String(
        lua.create_string(name).map_err(|e| e.to_string())?,
    ));
    match args.as_slice() {
        [key, Value::Table(fields)] if name.eq_ignore_ascii_case(b"hmset") => {
            values.push(key.clone());
            for pair in fields.clone().pairs::<Value, Value>() {
                let (field, value) = pair.map_err(|e| e.to_string())?;
                values.extend([field, value]);
            }
        }
        _ => values.extend(args),
    }
    convert::args(lua, values)
}

/// The function behind `red:<name>(...)`: queued while pipelining, else
/// sent.
async fn command(
    lua: Lua,
    name: Vec<u8>,
    this: UserDataRef<RestyRedis>,
    args: Variadic<Value>,
) -> Result<MultiValue> {
    // Taken (copied) now: no Lua reference is held while the request waits.
    let args = match command_args(&lua, &name, args) {
        Ok(args) => args,
        Err(e) => return convert::failure(&lua, &e),
    };
    if this.pipeline.borrow().is_some() {
        // Refused now, as lua-resty-redis-connector refuses it, so that the
        // rest of the pipeline still runs.
        let Some(refused) = this.refuses(&name) else {
            return convert::failure(&lua, "the connection is closed or busy");
        };
        if refused {
            return disabled(&lua, &String::from_utf8_lossy(&name));
        }
        if let Some(pipeline) = this.pipeline.borrow_mut().as_mut() {
            pipeline.cmd(&args);
        }
        return Ok(MultiValue::new());
    }
    // Refused before a connection of its own is taken for it.
    if this.refuses(&name) == Some(true) {
        return disabled(&lua, &String::from_utf8_lossy(&name));
    }
    this.cmd(&lua, &args).await
}

/// The registry name of the state's command functions, by name: weak
/// values, so that they go with the garbage once unused (any name is a
/// command: a program may look up many).
const COMMANDS: &str = "redwire.connector.commands";

fn command_function(lua: &Lua, name: mlua::String) -> Result<Function> {
    let commands = if let Ok(commands) = lua.named_registry_value::<Table>(COMMANDS) {
        commands
    } else {
        let commands = lua.create_table()?;
        let weak_values = lua.create_table()?;
        weak_values.set("__mode", "v")?;
        commands.set_metatable(Some(weak_values))?;
        lua.set_named_registry_value(COMMANDS, &commands)?;
        commands
    };
    if let Some(function) = commands.raw_get::<Option<Function>>(&name)? {
        return Ok(function);
    }
    // The name as bytes: a function holds no Lua reference of its own.
    let key = name.as_bytes().to_vec();
    let function = lua.create_async_function(
        move |lua, (this, args): (UserDataRef<RestyRedis>, Variadic<Value>)| {
            command(lua, key.clone(), this, args)
        },
    )?;
    commands.raw_set(name, &function)?;
    Ok(function)
}

impl UserData for RestyRedis {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("init_pipeline", |_lua, this, ()| {
            *this.pipeline.borrow_mut() = Some(Pipeline::new());
            Ok(())
        });
        methods.add_method("cancel_pipeline", |_lua, this, ()| {
            this.pipeline.borrow_mut().take();
            Ok(())
        });
        methods.add_async_method("commit_pipeline", commit_pipeline);
        methods.add_async_method("read_reply", |lua, this, ()| async move {
            let mut lease = match this.checkout.lease(&lua).await? {
                Ok(lease) => lease,
                Err(failure) => return Ok(failure),
            };
            match lease.run(|connection| connection.read()).await {
                Some(Ok(frame)) => top_level(&lua, &frame),
                // A subscriber loop reads on after a timeout, as with
                // lua-resty-redis.
                Some(Err(Error::Timeout { .. })) => convert::failure(&lua, "timeout"),
                Some(Err(e)) => failed(&lua, &e),
                None => convert::failure(&lua, CLOSED_WHILE_WAITING),
            }
        });
        methods.add_async_method("set_keepalive", |lua, this, _: MultiValue| async move {
            this.keepalive(&lua).await
        });
        methods.add_method("close", |_lua, this, ()| {
            Ok(if this.checkout.release(true) {
                (Some(1), None)
            } else {
                (None, Some("the connection is closed"))
            })
        });
        // lua-resty-redis' helpers: `array_to_hash` converts; the timeouts
        // and reuse count belong to the connector here.
        methods.add_function("array_to_hash", |lua, (_this, flat): (Value, Table)| {
            let hash = lua.create_table()?;
            let values: Vec<Value> = flat.sequence_values::<Value>().collect::<Result<_>>()?;
            for pair in values.chunks_exact(2) {
                hash.raw_set(pair[0].clone(), pair[1].clone())?;
            }
            Ok(hash)
        });
        // lua-resty-redis' timeouts, in milliseconds, for this connection
        // until it goes back to its pool (a connect timeout has no use on
        // a connection made).
        methods.add_method("set_timeout", |lua, this, milliseconds: Value| {
            let timeout = milliseconds_of(&milliseconds).map_err(mlua::Error::runtime)?;
            this.checkout
                .set_timeouts(timeout, timeout)
                .map_err(mlua::Error::runtime)?;
            let _ = lua;
            Ok(())
        });
        methods.add_method(
            "set_timeouts",
            |_lua, this, (_connect, send, read): (Value, Value, Value)| {
                let send = milliseconds_of(&send).map_err(mlua::Error::runtime)?;
                let read = milliseconds_of(&read).map_err(mlua::Error::runtime)?;
                this.checkout
                    .set_timeouts(send, read)
                    .map_err(mlua::Error::runtime)?;
                Ok(())
            },
        );
        methods.add_function("get_reused_times", |lua, _: MultiValue| {
            convert::failure(
                lua,
                "get_reused_times is not supported: connections come from the connector's keepalive pools",
            )
        });
        // Any other name is a command.
        methods.add_meta_method(MetaMethod::Index, |lua, _this, name: mlua::String| {
            command_function(lua, name)
        });
    }
}

/// `red:commit_pipeline()`: the replies in order (`{ false, message }` for
/// an error reply), or `nil, err`.
async fn commit_pipeline(lua: Lua, this: UserDataRef<RestyRedis>, (): ()) -> Result<MultiValue> {
    let Some(pipeline) = this.pipeline.borrow_mut().take() else {
        return convert::failure(&lua, "no pipeline");
    };
    if pipeline.is_empty() {
        return Ok(MultiValue::from_vec(vec![Value::Table(
            lua.create_table()?,
        )]));
    }
    let mut lease = match this.checkout.lease(&lua).await? {
        Ok(lease) => lease,
        Err(failure) => return Ok(failure),
    };
    let replies = match spinning(
        lease.run(|connection| connection.pipeline(&pipeline)),
        runtime::spin(&lua),
    )
    .await
    {
        Some(Ok(replies)) => replies,
        Some(Err(e)) => return failed(&lua, &e),
        None => return convert::failure(&lua, CLOSED_WHILE_WAITING),
    };
    let results = lua.create_table_with_capacity(replies.len(), 0)?;
    for (i, reply) in replies.iter().enumerate() {
        let value = match reply {
            Ok(frame) => lua_stack::value(&lua, frame, NestedError::FalsePair)?,
            Err(e) => {
                let pair = lua.create_table()?;
                pair.raw_set(1, false)?;
                pair.raw_set(2, e.message())?;
                Value::Table(pair)
            }
        };
        results.raw_set(i + 1, value)?;
    }
    Ok(MultiValue::from_vec(vec![Value::Table(results)]))
}

/// A timeout in milliseconds as lua-resty-redis takes it (0 or nil: none).
fn milliseconds_of(value: &Value) -> std::result::Result<Option<Duration>, String> {
    let milliseconds = match value {
        Value::Nil => return Ok(None),
        Value::Integer(n) => *n as f64,
        Value::Number(n) => *n,
        other => {
            return Err(format!(
                "a timeout must be a number of milliseconds, got a {}",
                other.type_name()
            ))
        }
    };
    if milliseconds.is_nan() || milliseconds < 0.0 {
        return Err(format!(
            "a timeout must be a number of milliseconds, got {milliseconds}"
        ));
    }
    // Zero, and one too long to reckon (`math.huge`), are none.
    Ok(Duration::try_from_secs_f64(milliseconds / 1000.0)
        .ok()
        .filter(|timeout| !timeout.is_zero())
        .map(|timeout| timeout.min(Duration::from_secs(u32::MAX.into()))))
}
