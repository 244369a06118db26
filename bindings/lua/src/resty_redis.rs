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
use std::collections::HashMap;

use mlua::{
    Function, Lua, MetaMethod, MultiValue, Result, UserData, UserDataMethods, UserDataRef, Value,
    Variadic,
};
use redwire::{Error, Frame, Pipeline, PooledConnection};

use crate::checkout::Checkout;
use crate::convert::{self, LuaArg, NestedError};
use crate::lua_stack;

/// A connection from a keepalive pool.
pub(crate) struct RestyRedis {
    checkout: Checkout,
    /// Commands queued since `init_pipeline`.
    pipeline: RefCell<Option<Pipeline>>,
    /// Through a proxy: no `DISCARD` before keepalive.
    proxied: bool,
}

impl RestyRedis {
    pub(crate) fn new(lua: &Lua, connection: PooledConnection, proxied: bool) -> Result<Self> {
        Ok(Self {
            checkout: Checkout::new(lua, connection)?,
            pipeline: RefCell::new(None),
            proxied,
        })
    }

    /// Back to the keepalive pool, leaving a `MULTI` first (unless
    /// proxied); `nil, err` when it was already closed or released.
    pub(crate) async fn keepalive(&self, lua: &Lua) -> Result<MultiValue> {
        match self.checkout.lock(lua).await? {
            Ok(mut connection) => {
                if !self.proxied && !connection.is_broken() && !connection.is_reusable() {
                    // Inside MULTI (or subscribed, which DISCARD cannot
                    // undo: the pool then closes it).
                    let _ = connection.cmd(&["DISCARD"]).await;
                }
            }
            Err(failure) => return Ok(failure),
        }
        self.checkout.release(false).await;
        Ok(MultiValue::from_vec(vec![Value::Integer(1)]))
    }

    /// The connection.
    pub(crate) fn checkout(&self) -> &Checkout {
        &self.checkout
    }

    /// Runs a command on the locked connection.
    pub(crate) async fn cmd(&self, lua: &Lua, args: &[LuaArg]) -> Result<MultiValue> {
        let mut connection = match self.checkout.lock(lua).await? {
            Ok(connection) => connection,
            Err(failure) => return Ok(failure),
        };
        match connection.cmd(args).await {
            Ok(frame) => top_level(lua, &frame),
            Err(e) => failed(lua, &e),
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

/// Where timeouts are set instead of on a connection.
const TIMEOUTS_INSTEAD: &str =
    "set connect_timeout, send_timeout and read_timeout in the connector's params";

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
    name: &mlua::String,
    args: &[Value],
) -> std::result::Result<Vec<LuaArg>, String> {
    let mut values = Vec::with_capacity(args.len() + 1);
    values.push(Value::String(name.clone()));
    match args {
        [key, Value::Table(fields)] if name.as_bytes().eq_ignore_ascii_case(b"hmset") => {
            values.push(key.clone());
            for pair in fields.clone().pairs::<Value, Value>() {
                let (field, value) = pair.map_err(|e| e.to_string())?;
                values.extend([field, value]);
            }
        }
        _ => values.extend_from_slice(args),
    }
    convert::args(lua, &values)
}

/// The function behind `red:<name>(...)`: queued while pipelining, else
/// sent.
async fn command(
    lua: Lua,
    name: mlua::String,
    this: UserDataRef<RestyRedis>,
    args: Variadic<Value>,
) -> Result<MultiValue> {
    let args = match command_args(&lua, &name, &args) {
        Ok(args) => args,
        Err(e) => return convert::failure(&lua, &e),
    };
    if this.pipeline.borrow().is_some() {
        // Refused now, as lua-resty-redis-connector refuses it, so that the
        // rest of the pipeline still runs.
        let refused = match this.checkout.lock(&lua).await? {
            Ok(connection) => connection.refuses(&name.as_bytes()),
            Err(failure) => return Ok(failure),
        };
        if refused {
            return disabled(&lua, &name.to_string_lossy());
        }
        if let Some(pipeline) = this.pipeline.borrow_mut().as_mut() {
            pipeline.cmd(&args);
        }
        return Ok(MultiValue::new());
    }
    this.cmd(&lua, &args).await
}

/// The state's command functions, by name, made on first use.
#[derive(Default)]
struct Commands(RefCell<HashMap<Vec<u8>, Function>>);

fn command_function(lua: &Lua, name: mlua::String) -> Result<Function> {
    if lua.app_data_ref::<Commands>().is_none() {
        lua.set_app_data(Commands::default());
    }
    let commands = lua
        .app_data_ref::<Commands>()
        .ok_or_else(|| mlua::Error::runtime("command table missing"))?;
    let key = name.as_bytes().to_vec();
    if let Some(function) = commands.0.borrow().get(&key) {
        return Ok(function.clone());
    }
    let function = lua.create_async_function(
        move |lua, (this, args): (UserDataRef<RestyRedis>, Variadic<Value>)| {
            command(lua, name.clone(), this, args)
        },
    )?;
    commands.0.borrow_mut().insert(key, function.clone());
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
            let mut connection = match this.checkout.lock(&lua).await? {
                Ok(connection) => connection,
                Err(failure) => return Ok(failure),
            };
            match connection.read().await {
                Ok(frame) => top_level(&lua, &frame),
                Err(e) => failed(&lua, &e),
            }
        });
        methods.add_async_method("set_keepalive", |lua, this, _: MultiValue| async move {
            this.keepalive(&lua).await
        });
        methods.add_async_method("close", |_lua, this, ()| async move {
            Ok(if this.checkout.release(true).await {
                (Some(1), None)
            } else {
                (None, Some("the connection is closed"))
            })
        });
        // lua-resty-redis' helpers: `array_to_hash` converts; the timeouts
        // and reuse count belong to the connector here.
        methods.add_function(
            "array_to_hash",
            |lua, (_this, flat): (Value, mlua::Table)| {
                let hash = lua.create_table()?;
                let values: Vec<Value> = flat.sequence_values::<Value>().collect::<Result<_>>()?;
                for pair in values.chunks_exact(2) {
                    hash.raw_set(pair[0].clone(), pair[1].clone())?;
                }
                Ok(hash)
            },
        );
        for (name, instead) in [
            ("set_timeout", TIMEOUTS_INSTEAD),
            ("set_timeouts", TIMEOUTS_INSTEAD),
            (
                "get_reused_times",
                "connections come from the connector's keepalive pools",
            ),
        ] {
            methods.add_function(name, move |lua, _: MultiValue| {
                convert::failure(lua, &format!("{name} is not supported: {instead}"))
            });
        }
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
    let mut connection = match this.checkout.lock(&lua).await? {
        Ok(connection) => connection,
        Err(failure) => return Ok(failure),
    };
    let replies = match connection.pipeline(&pipeline).await {
        Ok(replies) => replies,
        Err(e) => return failed(&lua, &e),
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
