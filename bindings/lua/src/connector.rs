//! `redwire.connector` and `redwire.sentinel`: lua-resty-redis-connector's
//! API on the redwire core.
//!
//! - `connector.new(params)` → `rc` (or `nil, err`): params over the
//!   defaults; an unknown field is an error naming it.
//! - `rc:connect(params)`: params over `rc`'s (a `url` DSN first, explicit
//!   fields over it); through the sentinels when `sentinels` is not empty,
//!   else to `path` or `host:port`.
//! - `rc:connect_via_sentinel(params)`, `rc:try_hosts(hosts)` (→ `red, nil,
//!   errors` or `nil, "no hosts available", errors`), `rc:connect_to_host(host)`,
//!   `rc:set_keepalive(red)` (→ `1` or `nil, err`), `rc.config`.
//! - `connector.parse_dsn(params)` → params with the DSN's fields filled in
//!   where not given, or `nil, err`.
//! - `sentinel.get_master(red, name)` → `{ host, port }`;
//!   `sentinel.get_slaves(red, name)` → the healthy replicas, those on this
//!   host first; both given a connection to a sentinel.
//!
//! Connections come from keepalive pools kept per server, credentials,
//! timeouts, `keepalive_poolsize`, `keepalive_timeout` and
//! `connection_options.pool`: `set_keepalive` returns one, and a pool at
//! its size closes the connection instead.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use mlua::{
    Lua, MultiValue, Result, Table, UserData, UserDataFields, UserDataMethods, UserDataRef, Value,
};
use redwire::{Frame, PoolConfig, PooledConnection, Pools, WhenFull};
use redwire_sentinel::{Address, Ask, SentinelError, Sentinels};

use crate::checkout::Checkout;
use crate::connector_params::{self, ConnectionOptions, Fields, Params};
use crate::convert;
use crate::resty_redis::RestyRedis;
use crate::runtime;
use crate::sharing::{self, SharedKey, Sharing};

/// What sets keepalive pools apart beyond the server and credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
struct KeepaliveKey {
    options: ConnectionOptions,
    size: u32,
    idle: Duration,
}

/// The state's keepalive pools.
#[derive(Default, Clone)]
struct KeepalivePools(Rc<RefCell<HashMap<KeepaliveKey, Rc<Pools>>>>);

fn keepalive_pools(lua: &Lua, params: &Params) -> Rc<Pools> {
    if lua.app_data_ref::<KeepalivePools>().is_none() {
        lua.set_app_data(KeepalivePools::default());
    }
    let all = lua
        .app_data_ref::<KeepalivePools>()
        .map(|pools| pools.clone())
        .unwrap_or_default();
    let key = KeepaliveKey {
        options: params.connection_options.clone(),
        size: params.keepalive_poolsize,
        idle: params.keepalive_timeout,
    };
    let mut all = all.0.borrow_mut();
    all.entry(key)
        .or_insert_with(|| {
            let mut config = PoolConfig::default()
                .max_size(params.keepalive_poolsize)
                .when_full(WhenFull::Overflow);
            if !params.keepalive_timeout.is_zero() {
                config = config.idle_timeout(params.keepalive_timeout);
            }
            Rc::new(Pools::new(config))
        })
        .clone()
}

pub(crate) fn module(lua: &Lua) -> Result<Table> {
    let module = lua.create_table()?;
    module.set("null", convert::null())?;
    module.set(
        "new",
        lua.create_function(|lua, params: Option<Table>| {
            Ok(
                match Params::default().merged(lua, params.as_ref(), Fields::All) {
                    Ok(params) => (Some(RedisConnector { params }), None),
                    Err(e) => (None, Some(e)),
                },
            )
        })?,
    )?;
    module.set(
        "parse_dsn",
        lua.create_function(|lua, params: Table| parse_dsn(lua, &params))?,
    )?;
    Ok(module)
}

/// `connector.parse_dsn(params)`: a copy of `params` with the fields of its
/// `url` filled in where `params` does not give them.
fn parse_dsn(lua: &Lua, params: &Table) -> Result<(Option<Table>, Option<String>)> {
    let filled = lua.create_table()?;
    for pair in params.pairs::<Value, Value>() {
        let (k, v) = pair?;
        filled.raw_set(k, v)?;
    }
    let url = match filled.raw_get::<Value>("url")? {
        Value::Nil => return Ok((Some(filled), None)),
        Value::String(url) => url,
        other => {
            let why = format!("field url must be a DSN string, got {}", other.type_name());
            return Ok((None, Some(why)));
        }
    };
    match connector_params::dsn(lua, &url.to_string_lossy()) {
        Ok(fields) => {
            for pair in fields.pairs::<String, Value>() {
                let (k, v) = pair?;
                if filled.raw_get::<Value>(k.as_str())?.is_nil() {
                    filled.raw_set(k, v)?;
                }
            }
            Ok((Some(filled), None))
        }
        Err(e) => Ok((None, Some(e))),
    }
}

/// What `connector.new` returns.
struct RedisConnector {
    params: Params,
}

/// How one connect goes.
#[derive(Clone, Copy)]
enum Via {
    /// Sentinels when given, else the host.
    Either,
    Sentinel,
    Host,
}

impl RedisConnector {
    /// Connects with `table` over this connector's params.
    async fn connect(&self, lua: &Lua, table: Option<&Table>, via: Via) -> Result<MultiValue> {
        if let Err(why) = runtime::ready_to_wait(lua).await {
            return convert::failure(lua, &why);
        }
        let fields = match via {
            Via::Host => Fields::Known,
            Via::Either | Via::Sentinel => Fields::All,
        };
        let params = match self.params.merged(lua, table, fields) {
            Ok(params) => params,
            Err(e) => return convert::failure(lua, &e),
        };
        let sentinel = match via {
            Via::Either => params.via_sentinel(),
            Via::Sentinel => true,
            Via::Host => false,
        };
        let config = match params.config(sentinel, false) {
            Ok(config) => config,
            Err(e) => return convert::failure(lua, &e),
        };
        let pools = keepalive_pools(lua, &params);
        // Through a proxy, each connection is its own, taken now: a proxy
        // drops the connection a command it does not support came on,
        // which would fail every coroutine's requests on a shared one.
        let red = if params.connection_is_proxied {
            let connection = match pools.get(&config).await {
                Ok(connection) => connection,
                Err(e) => return convert::failure(lua, &e.to_string()),
            };
            let checkout = Checkout::taken(lua, pools, config, connection)?;
            RestyRedis::new(checkout, None, &params)
        } else {
            let key = SharedKey::new(&config, &params.disabled_commands);
            let shared_config = || params.config(sentinel, true);
            let shared = match sharing::connection(lua, &pools, &config, key, shared_config).await {
                Ok(shared) => shared,
                Err(e) => return convert::failure(lua, &e),
            };
            let sharing = Sharing::new(shared, &config);
            RestyRedis::new(Checkout::lazy(lua, pools, config)?, Some(sharing), &params)
        };
        Ok(MultiValue::from_vec(vec![Value::UserData(
            lua.create_userdata(red)?,
        )]))
    }
}

impl UserData for RedisConnector {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("config", |lua, this| this.params.to_table(lua));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_async_method("connect", |lua, this, params: Option<Table>| async move {
            this.connect(&lua, params.as_ref(), Via::Either).await
        });
        methods.add_async_method(
            "connect_via_sentinel",
            |lua, this, params: Option<Table>| async move {
                this.connect(&lua, params.as_ref(), Via::Sentinel).await
            },
        );
        methods.add_async_method("connect_to_host", |lua, this, host: Table| async move {
            this.connect(&lua, Some(&host), Via::Host).await
        });
        methods.add_async_method("try_hosts", try_hosts);
        methods.add_async_method(
            "set_keepalive",
            |lua, _this, red: UserDataRef<RestyRedis>| async move { red.keepalive(&lua).await },
        );
    }
}

/// `rc:try_hosts(hosts)`: the first host that connects, `nil` and each
/// host's error; or `nil, "no hosts available", errors`.
async fn try_hosts(
    lua: Lua,
    this: UserDataRef<RedisConnector>,
    hosts: Table,
) -> Result<MultiValue> {
    let errors = lua.create_table()?;
    for (i, host) in hosts.sequence_values::<Value>().enumerate() {
        let reply = match host? {
            Value::Table(host) => this.connect(&lua, Some(&host), Via::Host).await?,
            other => convert::failure(
                &lua,
                &format!("host {} is a {}, not a table", i + 1, other.type_name()),
            )?,
        };
        match reply.front() {
            Some(Value::UserData(_)) => {
                let mut values = reply.into_vec();
                values.extend([Value::Nil, Value::Table(errors)]);
                return Ok(MultiValue::from_vec(values));
            }
            _ => errors.raw_set(i + 1, reply.into_vec().into_iter().nth(1))?,
        }
    }
    let mut failure = convert::failure(&lua, "no hosts available")?.into_vec();
    failure.push(Value::Table(errors));
    Ok(MultiValue::from_vec(failure))
}

/// Asks the sentinel a connection is open to (whatever the address).
struct OnConnection<'a>(tokio::sync::Mutex<&'a mut PooledConnection>);

impl Ask for OnConnection<'_> {
    type Error = String;

    async fn ask(&self, _: &Address, command: &[&str]) -> std::result::Result<Frame, String> {
        self.0
            .lock()
            .await
            .cmd(command)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Runs `discover` with the sentinel `red` is connected to: its outcome as
/// Lua values (`shape` makes them), or `nil, err`.
async fn on_sentinel<T>(
    lua: &Lua,
    red: &RestyRedis,
    discover: impl AsyncFnOnce(&OnConnection<'_>) -> std::result::Result<T, SentinelError<String>>,
    shape: impl FnOnce(&Lua, T) -> Result<Value>,
) -> Result<MultiValue> {
    let mut lease = match red.checkout().lease(lua).await? {
        Ok(lease) => lease,
        Err(failure) => return Ok(failure),
    };
    let outcome = lease
        .run(|connection| async move {
            discover(&OnConnection(tokio::sync::Mutex::new(connection))).await
        })
        .await;
    match outcome {
        Some(Ok(found)) => Ok(MultiValue::from_vec(vec![shape(lua, found)?])),
        Some(Err(e)) => convert::failure(lua, &sentinel_failure(e)),
        None => convert::failure(lua, "closed"),
    }
}

/// `sentinel.get_master` / `get_slaves`.
pub(crate) fn sentinel_module(lua: &Lua) -> Result<Table> {
    let module = lua.create_table()?;
    module.set(
        "get_master",
        lua.create_async_function(
            |lua, (red, name): (UserDataRef<RestyRedis>, String)| async move {
                let sentinels = Sentinels::new(vec![Address::new("sentinel", 0)]);
                on_sentinel(
                    &lua,
                    &red,
                    async |asker| sentinels.master(asker, &name).await,
                    |lua, master| Ok(Value::Table(address_table(lua, &master)?)),
                )
                .await
            },
        )?,
    )?;
    module.set(
        "get_slaves",
        lua.create_async_function(
            |lua, (red, name): (UserDataRef<RestyRedis>, String)| async move {
                let sentinels = Sentinels::new(vec![Address::new("sentinel", 0)]);
                on_sentinel(
                    &lua,
                    &red,
                    async |asker| sentinels.replicas(asker, &name).await,
                    |lua, replicas| {
                        let list = lua.create_table()?;
                        for (i, replica) in replicas.iter().enumerate() {
                            list.raw_set(i + 1, address_table(lua, replica)?)?;
                        }
                        Ok(Value::Table(list))
                    },
                )
                .await
            },
        )?,
    )?;
    Ok(module)
}

/// A discovery error on one sentinel connection: what that sentinel said.
fn sentinel_failure(error: SentinelError<String>) -> String {
    match error {
        SentinelError::NoSentinel(mut tried) if tried.len() == 1 => tried.remove(0).1,
        other => other.to_string(),
    }
}

fn address_table(lua: &Lua, address: &Address) -> Result<Table> {
    let table = lua.create_table()?;
    table.set("host", address.host.as_str())?;
    table.set("port", address.port)?;
    Ok(table)
}
