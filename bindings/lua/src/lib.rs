//! Lua bindings of redwire: one shared library, `redwire_native`, whose
//! table holds every module; the rock installs it with a one-line Lua file
//! per module (`redis.lua`: `return require("redwire_native").redis`), so
//! every module shares one library, one runtime and one set of pools.
//!
//! - `lev`: `lev.run(fn, ...)` runs `fn` as a coroutine on a runtime kept for
//!   the Lua state and returns when it and everything it spawned
//!   (`lev.spawn(fn, ...)`) are done, raising the first error; `lev.sleep(s)`
//!   yields for `s` seconds. Redis operations inside yield instead of
//!   blocking, so coroutines run concurrently on one thread.
//! - `redis`: the `redis.connect(config)` client of `src/redis/redis.lua`'s
//!   contract: `cmd`, `pipeline`, `read`, `close`, pooled by
//!   `host:port/db[+ssl]` and credentials.
//! - `redwire.connector` and `redwire.sentinel`: lua-resty-redis-connector's
//!   API (`src/connector.rs`), its connections shaped like lua-resty-redis
//!   objects.
//! - `nauthilus_redis`: nauthilus' API: `register_redis_pool(name, mode,
//!   opts)` (`standalone`, `sentinel`, `sentinel_replica`, `cluster`),
//!   `get_redis_connection(name)` and `redis_set`, `redis_get`, … each
//!   returning `value, nil` or `nil, err`. Its Lua file runs each call in
//!   its own `lev.run` when called outside one, so nauthilus scripts call
//!   them directly.
//!
//! Outside `lev.run`, redis operations return `nil` and an error saying so,
//! and `lev.sleep` raises one: they never block the caller's thread.
// `#[mlua::lua_module]` exports `luaopen_*` as unmangled C symbols.
#![allow(unsafe_code)]

mod checkout;
mod client;
mod config;
mod connector;
mod connector_params;
mod convert;
mod lua_stack;
mod nauthilus;
mod resty_redis;
mod runtime;
mod sharing;

use mlua::{Lua, Result, Table};

/// `require("redwire_native")`: `{ lev = …, redis = …, nauthilus_redis = …,
/// connector = …, sentinel = … }`.
#[mlua::lua_module(name = "redwire_native")]
fn redwire_native(lua: &Lua) -> Result<Table> {
    let modules = lua.create_table()?;
    modules.set("lev", runtime::module(lua)?)?;
    modules.set("redis", client::module(lua)?)?;
    modules.set("nauthilus_redis", nauthilus::module(lua)?)?;
    modules.set("connector", connector::module(lua)?)?;
    modules.set("sentinel", connector::sentinel_module(lua)?)?;
    Ok(modules)
}
