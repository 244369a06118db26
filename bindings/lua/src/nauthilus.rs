//! `nauthilus_redis`: named pools (standalone, sentinel, sentinel replica,
//! cluster) and one function per command, each returning `value, nil` or
//! `nil, err`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use mlua::{Lua, MultiValue, Result, Table, UserData, Value};
use redwire::{
    spinning, Arg, Client, ClientOptions, Commands, Config, Error, Frame, PoolConfig, Role,
    Sentinel,
};

use crate::config::tls_options;
use crate::convert::{self, LuaArg};
use crate::runtime;

/// The environment variable with the DSN of the `"default"` handle when no
/// pool is registered as `"default"` (else `redis://127.0.0.1:6379`).
const DEFAULT_URL: &str = "REDWIRE_NAUTHILUS_DEFAULT_URL";

/// A pool handle, as `get_redis_connection` returns it: a client that
/// connects on first use (registering happens before any `lev.run`).
#[derive(Clone)]
struct Handle(Client);

impl UserData for Handle {}

/// The registered handles and uploaded scripts of the state.
#[derive(Default)]
struct Registry {
    handles: RefCell<HashMap<String, Handle>>,
    /// Script name → (source, SHA1).
    scripts: RefCell<HashMap<String, (String, String)>>,
}

fn registry(lua: &Lua) -> Rc<Registry> {
    if let Some(registry) = lua.app_data_ref::<Rc<Registry>>() {
        return registry.clone();
    }
    let registry = Rc::new(Registry::default());
    lua.set_app_data(registry.clone());
    registry
}

pub(crate) fn module(lua: &Lua) -> Result<Table> {
    let module = lua.create_table()?;
    module.set("register_redis_pool", lua.create_function(register)?)?;
    module.set(
        "get_redis_connection",
        lua.create_function(
            |lua, name: String| match registry(lua).handles.borrow().get(&name) {
                Some(handle) => Ok((Some(handle.clone()), None)),
                None => Ok((
                    None,
                    Some(format!("no redis pool is registered as {name:?}")),
                )),
            },
        )?,
    )?;
    for &(name, command) in COMMANDS {
        let function = lua.create_async_function(move |lua, args: MultiValue| async move {
            run_command(&lua, command, args).await
        })?;
        module.set(name, function)?;
    }
    module.set(
        "redis_upload_script",
        lua.create_async_function(
            |lua, (handle, source, name): (Value, String, String)| async move {
                if let Err(why) = runtime::ready_to_wait(&lua).await {
                    return convert::failure(&lua, &why);
                }
                // No Lua reference is held while the request waits.
                let target = match target(&lua, &{ handle }) {
                    Ok(target) => target,
                    Err(e) => return convert::failure(&lua, &e),
                };
                match upload(&lua, &target, &name, &source).await {
                    Ok(sha) => Ok(MultiValue::from_vec(vec![Value::String(
                        lua.create_string(sha)?,
                    )])),
                    Err(e) => convert::failed(&lua, &e),
                }
            },
        )?,
    )?;
    module.set("redis_run_script", lua.create_async_function(run_script)?)?;
    module.set(
        "redis_cache_stats",
        lua.create_function(|lua, handle: Value| {
            let target = match target(lua, &handle) {
                Ok(target) => target,
                Err(e) => return convert::failure(lua, &e),
            };
            convert::cache_stats(lua, target.0.cache().map(|cache| cache.stats()))
        })?,
    )?;
    Ok(module)
}

/// `register_redis_pool(name, mode, opts)`: `true`, or `nil, err`.
fn register(
    lua: &Lua,
    (name, mode, opts): (String, String, Table),
) -> Result<(Option<bool>, Option<String>)> {
    let registry = registry(lua);
    if registry.handles.borrow().contains_key(&name) {
        return Ok((
            None,
            Some(format!("a redis pool is already registered as {name:?}")),
        ));
    }
    // Pools start their tasks on the state's runtime.
    let runtime = runtime::runtime(lua)?;
    let _runtime = runtime.0.enter();
    match client_of(&mode, &opts) {
        Ok(client) => {
            registry.handles.borrow_mut().insert(name, Handle(client));
            Ok((Some(true), None))
        }
        Err(e) => Ok((None, Some(e))),
    }
}

/// A string option, absent when nil or empty.
fn text(opts: &Table, name: &str) -> std::result::Result<Option<String>, String> {
    match opts.raw_get::<Value>(name) {
        Ok(Value::Nil) => Ok(None),
        Ok(Value::String(s)) if s.as_bytes().is_empty() => Ok(None),
        Ok(Value::String(s)) => Ok(Some(s.to_string_lossy())),
        Ok(other) => Err(format!(
            "option {name} must be a string, got {}",
            other.type_name()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// A non-negative integer option.
fn count(opts: &Table, name: &str) -> std::result::Result<Option<u32>, String> {
    match opts.raw_get::<Value>(name) {
        Ok(Value::Nil) => Ok(None),
        Ok(Value::Integer(n)) => u32::try_from(n)
            .map(Some)
            .map_err(|_| format!("option {name} must be a non-negative integer, got {n}")),
        Ok(Value::Number(n)) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
            Ok(Some(n as u32))
        }
        Ok(other) => Err(format!(
            "option {name} must be a non-negative integer, got {other:?}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// `host:port` addresses: `addresses` (a list) or `address`.
fn addresses(opts: &Table) -> std::result::Result<Vec<(String, u16)>, String> {
    let mut list = Vec::new();
    if let Ok(Value::Table(many)) = opts.raw_get::<Value>("addresses") {
        for address in many.sequence_values::<String>() {
            list.push(address.map_err(|e| format!("option addresses: {e}"))?);
        }
    }
    if let Some(one) = text(opts, "address")? {
        list.push(one);
    }
    if list.is_empty() {
        return Err("option address or addresses is required".to_owned());
    }
    list.iter()
        .map(|address| {
            let (host, port) = address
                .rsplit_once(':')
                .ok_or_else(|| format!("address {address:?} is not host:port"))?;
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("address {address:?}: the port must be 1..65535"))?;
            Ok((
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
                port,
            ))
        })
        .collect()
}

/// The client of a pool of `mode` with `opts`.
fn client_of(mode: &str, opts: &Table) -> std::result::Result<Client, String> {
    let known = [
        "address",
        "addresses",
        "master_name",
        "sentinel_username",
        "sentinel_password",
        "username",
        "password",
        "db",
        "pool_size",
        "min_idle_conns",
        "tls_enabled",
        "tls_cert_file",
        "tls_key_file",
        "keepalive",
        "peer_timeout",
        "cache",
    ];
    for pair in opts.pairs::<Value, Value>() {
        let (key, _) = pair.map_err(|e| e.to_string())?;
        let key = match key {
            Value::String(s) => s.to_string_lossy(),
            other => {
                return Err(format!(
                    "option names are strings, got a {}",
                    other.type_name()
                ))
            }
        };
        if !known.contains(&key.as_str()) {
            return Err(format!("unknown option {key:?}"));
        }
    }
    let addresses = addresses(opts)?;
    let mut config = match mode {
        "standalone" => {
            let (host, port) = &addresses[0];
            Config::default()
                .tcp(host, *port)
                .map_err(|e| e.to_string())?
        }
        "sentinel" | "sentinel_replica" => {
            let master = text(opts, "master_name")?
                .ok_or("option master_name is required for a sentinel pool")?;
            let role = if mode == "sentinel" {
                Role::Master
            } else {
                Role::Replica
            };
            let mut sentinel = Sentinel::new(&master, role, addresses.clone());
            if let Some(password) = text(opts, "sentinel_password")? {
                sentinel =
                    sentinel.credentials(text(opts, "sentinel_username")?.as_deref(), &password);
            }
            Config::default().sentinel(sentinel)
        }
        "cluster" => Config::default()
            .cluster(addresses.clone())
            .map_err(|e| e.to_string())?,
        other => {
            return Err(format!(
                "unknown mode {other:?}: expected standalone, sentinel, sentinel_replica or cluster"
            ))
        }
    };
    if let Some(password) = text(opts, "password")? {
        config = match text(opts, "username")? {
            Some(user) => config.user(&user, &password),
            None => config.password(&password),
        }
        .map_err(|e| e.to_string())?;
    }
    if let Some(db) = count(opts, "db")? {
        config = config.db(db);
    }
    if matches!(
        opts.raw_get::<Value>("tls_enabled"),
        Ok(Value::Boolean(true))
    ) {
        let mut tls = tls_options();
        tls.client_cert = text(opts, "tls_cert_file")?.map(Into::into);
        tls.client_key = text(opts, "tls_key_file")?.map(Into::into);
        config = config.tls(tls);
    }
    let mut config = crate::config::dead_peers(config, opts)?;
    let cache = crate::config::cache(opts)?;
    if cache.is_some() {
        // Its invalidations come on RESP3; replies are shown as RESP2's
        // (see `send`).
        config = config.protocol(redwire::Protocol::Resp3);
    }
    let mut pool = PoolConfig::default();
    if let Some(size) = count(opts, "pool_size")? {
        pool = pool.max_size(size);
    }
    if let Some(idle) = count(opts, "min_idle_conns")? {
        pool = pool.min_idle(idle);
    }
    let mut options = ClientOptions::default().pool(pool);
    options.cache = cache;
    Client::lazy(config, options).map_err(|e| e.to_string())
}

/// The target of a handle argument: a handle, or `"default"`.
fn target(lua: &Lua, handle: &Value) -> std::result::Result<Handle, String> {
    match handle {
        Value::UserData(u) => u
            .borrow::<Handle>()
            .map(|h| h.clone())
            .map_err(|_| "the first argument must be a redis handle or \"default\"".to_owned()),
        Value::String(s) if s.as_bytes() == b"default" => {
            let registry = registry(lua);
            if let Some(handle) = registry.handles.borrow().get("default") {
                return Ok(handle.clone());
            }
            let url =
                std::env::var(DEFAULT_URL).unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
            let config: Config = url
                .parse()
                .map_err(|e: redwire::ConfigError| format!("{DEFAULT_URL}: {e}"))?;
            let runtime = runtime::runtime(lua).map_err(|e| e.to_string())?;
            let _runtime = runtime.0.enter();
            let client =
                Client::lazy(config, ClientOptions::default()).map_err(|e| e.to_string())?;
            let handle = Handle(client);
            registry
                .handles
                .borrow_mut()
                .insert("default".to_owned(), handle.clone());
            Ok(handle)
        }
        other => Err(format!(
            "the first argument must be a redis handle or \"default\", got {}",
            other.type_name()
        )),
    }
}

/// Runs one command on `handle`'s client.
async fn send(handle: &Handle, args: &[LuaArg]) -> std::result::Result<Frame, Error> {
    let frame = handle.0.query(args).await?;
    // A cached pool speaks RESP3: shown as the others.
    Ok(match args.first() {
        Some(name) if handle.0.cache().is_some() => {
            name.with_bytes(|name| convert::as_resp2(name, frame))
        }
        _ => frame,
    })
}

/// How a command function reads its arguments and shapes its reply.
#[derive(Clone, Copy)]
enum Shape {
    /// `redis_set(h, key, value[, ttl])`: `"OK"`.
    Set,
    /// The command with every argument after the handle; the reply as is
    /// (a null is `nil` with no error).
    Plain(&'static str),
    /// Like `Plain`, answering `"OK"` on success.
    Ok(&'static str),
    /// Like `Plain`, an integer reply as a boolean.
    Boolean(&'static str),
    /// Like `Plain`, a flat field/value reply as a table keyed by field.
    Fields(&'static str),
    /// Like `Plain`, a string reply as a number.
    Number(&'static str),
}

const COMMANDS: &[(&str, Shape)] = &[
    ("redis_set", Shape::Set),
    ("redis_incr", Shape::Plain("INCR")),
    ("redis_get", Shape::Plain("GET")),
    ("redis_expire", Shape::Ok("EXPIRE")),
    ("redis_del", Shape::Ok("DEL")),
    ("redis_rename", Shape::Ok("RENAME")),
    ("redis_hget", Shape::Plain("HGET")),
    ("redis_hset", Shape::Plain("HSET")),
    ("redis_hdel", Shape::Plain("HDEL")),
    ("redis_hlen", Shape::Plain("HLEN")),
    ("redis_hgetall", Shape::Fields("HGETALL")),
    ("redis_hincrby", Shape::Plain("HINCRBY")),
    ("redis_hincrbyfloat", Shape::Number("HINCRBYFLOAT")),
    ("redis_hexists", Shape::Boolean("HEXISTS")),
    ("redis_sadd", Shape::Plain("SADD")),
    ("redis_sismember", Shape::Boolean("SISMEMBER")),
    ("redis_smembers", Shape::Plain("SMEMBERS")),
    ("redis_srem", Shape::Plain("SREM")),
    ("redis_scard", Shape::Plain("SCARD")),
];

/// `value` (and no error).
fn ok(value: Value) -> MultiValue {
    MultiValue::from_vec(vec![value])
}

async fn run_command(lua: &Lua, shape: Shape, args: MultiValue) -> Result<MultiValue> {
    if let Err(why) = runtime::ready_to_wait(lua).await {
        return convert::failure(lua, &why);
    }
    let mut args: Vec<Value> = args.into_iter().collect();
    // An optional argument left nil is not an argument.
    while matches!(args.last(), Some(Value::Nil)) {
        args.pop();
    }
    if args.is_empty() {
        return convert::failure(
            lua,
            "the first argument must be a redis handle or \"default\"",
        );
    }
    let handle = match target(lua, &args.remove(0)) {
        Ok(handle) => handle,
        Err(e) => return convert::failure(lua, &e),
    };
    // Taken (copied) now: no Lua reference is held while the request waits.
    let mut words = match convert::args(lua, args) {
        Ok(words) => words,
        Err(e) => return convert::failure(lua, &e),
    };
    let name = match shape {
        Shape::Set => {
            // `key, value[, ttl]`: a TTL in seconds becomes `EX ttl`; 0
            // means no expiry, as in nauthilus.
            if words.len() == 3 {
                let ttl = words[2].with_bytes(|b| String::from_utf8_lossy(b).into_owned());
                match ttl.parse::<i64>() {
                    Ok(0) => {
                        words.pop();
                    }
                    Ok(seconds) if seconds > 0 => words.insert(2, "EX".into()),
                    _ => {
                        let why = format!(
                            "the TTL must be a non-negative integer of seconds, got {ttl:?}"
                        );
                        return convert::failure(lua, &why);
                    }
                }
            }
            "SET"
        }
        Shape::Plain(n)
        | Shape::Ok(n)
        | Shape::Boolean(n)
        | Shape::Fields(n)
        | Shape::Number(n) => n,
    };
    words.insert(0, name.into());
    let frame = match spinning(send(&handle, &words), runtime::spin(lua)).await {
        Ok(frame) => frame,
        Err(e) => return convert::failed(lua, &e),
    };
    let value = match (shape, &frame) {
        (Shape::Set | Shape::Ok(_), _) => Value::String(lua.create_string("OK")?),
        (_, f) if f.is_null() => Value::Nil,
        (Shape::Boolean(_), Frame::Integer(n)) => Value::Boolean(*n != 0),
        (Shape::Number(_), f) => match f
            .as_bytes()
            .and_then(|b| std::str::from_utf8(b).ok()?.parse::<f64>().ok())
        {
            Some(n) => Value::Number(n),
            None => convert::value(lua, f)?,
        },
        (Shape::Fields(_), Frame::Array(items)) => {
            let table = lua.create_table()?;
            for pair in items.chunks_exact(2) {
                table.raw_set(
                    convert::value(lua, &pair[0])?,
                    convert::value(lua, &pair[1])?,
                )?;
            }
            Value::Table(table)
        }
        (_, f) => convert::value(lua, f)?,
    };
    Ok(ok(value))
}

/// Loads `source` (`SCRIPT LOAD`; on a cluster, on every master) and
/// remembers it under `name`.
async fn upload(
    lua: &Lua,
    handle: &Handle,
    name: &str,
    source: &str,
) -> std::result::Result<String, Error> {
    let reply = send(handle, &["SCRIPT".into(), "LOAD".into(), source.into()]).await?;
    let sha = String::from_utf8_lossy(reply.as_bytes().unwrap_or_default()).into_owned();
    registry(lua)
        .scripts
        .borrow_mut()
        .insert(name.to_owned(), (source.to_owned(), sha.clone()));
    Ok(sha)
}

/// `redis_run_script(h, script, name, keys, args)`: runs `script` once
/// (`EVAL`), or the script uploaded as `name` (`EVALSHA`, uploading it
/// again after `NOSCRIPT`).
async fn run_script(
    lua: Lua,
    (handle, script, name, keys, args): (
        Value,
        Option<String>,
        Option<String>,
        Option<Table>,
        Option<Table>,
    ),
) -> Result<MultiValue> {
    if let Err(why) = runtime::ready_to_wait(&lua).await {
        return convert::failure(&lua, &why);
    }
    // Taken (copied) now: no Lua reference is held while the request waits.
    let handle = match target(&lua, &{ handle }) {
        Ok(handle) => handle,
        Err(e) => return convert::failure(&lua, &e),
    };
    let list = |table: Option<Table>| -> Result<Vec<Value>> {
        table
            .iter()
            .flat_map(|t| t.sequence_values::<Value>())
            .collect()
    };
    let (keys, args) = match (
        convert::args(&lua, list(keys)?),
        convert::args(&lua, list(args)?),
    ) {
        (Ok(keys), Ok(args)) => (keys, args),
        (Err(e), _) | (_, Err(e)) => return convert::failure(&lua, &e),
    };
    let command = |verb: &str, body: &str| {
        let mut words = vec![verb.into(), body.into(), LuaArg::Int(keys.len() as i64)];
        words.extend(keys.iter().cloned());
        words.extend(args.iter().cloned());
        words
    };
    let script = script.filter(|s| !s.is_empty());
    let name = name.filter(|s| !s.is_empty());
    let result = match (script, name) {
        (Some(script), _) => send(&handle, &command("EVAL", &script)).await,
        (None, Some(name)) => {
            let uploaded = registry(&lua).scripts.borrow().get(&name).cloned();
            let Some((source, sha)) = uploaded else {
                return convert::failure(&lua, &format!("no script was uploaded as {name:?}"));
            };
            match send(&handle, &command("EVALSHA", &sha)).await {
                Err(Error::Server(e)) if e.code() == "NOSCRIPT" => {
                    match upload(&lua, &handle, &name, &source).await {
                        Ok(sha) => send(&handle, &command("EVALSHA", &sha)).await,
                        Err(e) => Err(e),
                    }
                }
                other => other,
            }
        }
        (None, None) => {
            return convert::failure(&lua, "give a script or the name of an uploaded one")
        }
    };
    match result {
        Ok(frame) if frame.is_null() => Ok(ok(Value::Nil)),
        Ok(frame) => Ok(ok(convert::value(&lua, &frame)?)),
        Err(e) => convert::failed(&lua, &e),
    }
}
