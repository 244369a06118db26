//! `redwire.connector`'s parameters: lua-resty-redis-connector's fields and
//! defaults, merged from `new`, a DSN and `connect`, validated with
//! messages that name the field (and never show a password).

use std::time::Duration;

use mlua::{Lua, Result, Table, Value};
use redwire::{Config, Endpoint, Password, Role, Sentinel};

use crate::config::{lua_type, tls_options};

/// `connection_options`: how the socket is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct ConnectionOptions {
    ssl: bool,
    /// Verify the server's certificate; on unless set to `false`.
    ssl_verify: Option<bool>,
    server_name: Option<String>,
    /// A name that keeps these connections in a keepalive pool of their own.
    pub(crate) pool: Option<String>,
}

/// Every field, defaulted as lua-resty-redis-connector defaults it.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    connect_timeout: Duration,
    send_timeout: Duration,
    pub(crate) read_timeout: Duration,
    /// Zero: idle connections are kept with no time limit.
    pub(crate) keepalive_timeout: Duration,
    pub(crate) keepalive_poolsize: u32,
    pub(crate) connection_options: ConnectionOptions,
    host: String,
    port: u16,
    path: String,
    username: String,
    password: Password,
    sentinel_username: String,
    sentinel_password: Password,
    db: u32,
    master_name: String,
    role: Role,
    sentinels: Vec<(String, u16)>,
    pub(crate) connection_is_proxied: bool,
    pub(crate) disabled_commands: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_millis(100),
            send_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            keepalive_timeout: Duration::from_secs(60),
            keepalive_poolsize: 30,
            connection_options: ConnectionOptions::default(),
            host: "127.0.0.1".to_owned(),
            port: 6379,
            path: String::new(),
            username: String::new(),
            password: Password::new(""),
            sentinel_username: String::new(),
            sentinel_password: Password::new(""),
            db: 0,
            master_name: "mymaster".to_owned(),
            role: Role::Master,
            sentinels: Vec::new(),
            connection_is_proxied: false,
            disabled_commands: Vec::new(),
        }
    }
}

/// Fields whose values never appear in messages or in `rc.config`.
fn secret(field: &str) -> bool {
    matches!(field, "password" | "sentinel_password")
}

/// `field X must be RULE, got VALUE` (only the type for a password).
fn must(field: &str, rule: &str, value: &Value) -> String {
    let got = match value {
        _ if secret(field) => lua_type(value).to_owned(),
        Value::String(s) => format!("{:?}", s.to_string_lossy()),
        Value::Integer(n) => n.to_string(),
        Value::Number(n) => n.to_string(),
        other => lua_type(other).to_owned(),
    };
    format!("field {field} must be {rule}, got {got}")
}

fn string(field: &str, value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::String(s) => Ok(s.to_string_lossy()),
        other => Err(must(field, "a string", other)),
    }
}

fn non_empty(field: &str, value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::String(s) if !s.as_bytes().is_empty() => Ok(s.to_string_lossy()),
        other => Err(must(field, "a non-empty string", other)),
    }
}

fn boolean(field: &str, value: &Value) -> std::result::Result<bool, String> {
    match value {
        Value::Boolean(b) => Ok(*b),
        other => Err(must(field, "a boolean", other)),
    }
}

/// An integer in `range`; a string of digits counts (the default port is
/// the string `"6379"` in lua-resty-redis-connector).
fn integer(
    field: &str,
    value: &Value,
    range: std::ops::RangeInclusive<i64>,
    rule: &str,
) -> std::result::Result<i64, String> {
    let n = match value {
        Value::Integer(n) => Some(*n),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
        Value::String(s) => s.to_str().ok().and_then(|s| s.parse().ok()),
        _ => None,
    };
    n.filter(|n| range.contains(n))
        .ok_or_else(|| must(field, rule, value))
}

/// Milliseconds: positive, or also zero when `zero` is allowed.
fn millis(field: &str, value: &Value, zero: bool) -> std::result::Result<Duration, String> {
    let ms = match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    };
    let rule = if zero {
        "a non-negative number of milliseconds"
    } else {
        "a positive number of milliseconds"
    };
    ms.filter(|ms| ms.is_finite() && (*ms > 0.0 || (zero && *ms == 0.0)))
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
        .ok_or_else(|| must(field, rule, value))
}

/// A role as the `role` field names it.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Master => "master",
        Role::Replica => "slave",
        Role::Any => "any",
    }
}

fn role(value: &Value) -> std::result::Result<Role, String> {
    match value {
        Value::String(s) => match s.as_bytes().as_ref() {
            b"master" => Ok(Role::Master),
            b"slave" => Ok(Role::Replica),
            b"any" => Ok(Role::Any),
            _ => Err(must("role", "\"master\", \"slave\" or \"any\"", value)),
        },
        other => Err(must("role", "\"master\", \"slave\" or \"any\"", other)),
    }
}

fn sentinels(value: &Value) -> std::result::Result<Vec<(String, u16)>, String> {
    let Value::Table(list) = value else {
        return Err(must("sentinels", "a list of { host = …, port = … }", value));
    };
    let mut sentinels = Vec::new();
    for (i, entry) in list.clone().sequence_values::<Value>().enumerate() {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = format!("sentinels[{}]", i + 1);
        let Value::Table(entry) = entry else {
            return Err(must(&name, "a table { host = …, port = … }", &entry));
        };
        let field = |key: &str| entry.raw_get::<Value>(key).unwrap_or(Value::Nil);
        let host = non_empty(&format!("{name}.host"), &field("host"))?;
        let port = match field("port") {
            Value::Nil => 26379,
            port => integer(
                &format!("{name}.port"),
                &port,
                1..=65535,
                "an integer 1..65535",
            )? as u16,
        };
        sentinels.push((host, port));
    }
    Ok(sentinels)
}

fn commands(value: &Value) -> std::result::Result<Vec<String>, String> {
    let Value::Table(list) = value else {
        return Err(must("disabled_commands", "a list of command names", value));
    };
    list.clone()
        .sequence_values::<Value>()
        .enumerate()
        .map(|(i, name)| {
            let name = name.map_err(|e| e.to_string())?;
            non_empty(&format!("disabled_commands[{}]", i + 1), &name)
        })
        .collect()
}

impl ConnectionOptions {
    fn set_from(&mut self, table: &Table) -> std::result::Result<(), String> {
        for pair in table.clone().pairs::<Value, Value>() {
            let (key, value) = pair.map_err(|e| e.to_string())?;
            let key = match &key {
                Value::String(s) => s.to_string_lossy(),
                other => format!("[{}]", other.type_name()),
            };
            let field = format!("connection_options.{key}");
            match key.as_str() {
                "ssl" => self.ssl = boolean(&field, &value)?,
                "ssl_verify" => self.ssl_verify = Some(boolean(&field, &value)?),
                "server_name" => self.server_name = Some(non_empty(&field, &value)?),
                "pool" => self.pool = Some(non_empty(&field, &value)?),
                "pool_size" | "backlog" => {
                    return Err(format!(
                        "field {field} is not supported: keepalive_poolsize sizes the pool, \
                         and connections beyond it are made and closed on release"
                    ))
                }
                _ => return Err(format!("field {field} does not exist")),
            }
        }
        Ok(())
    }
}

/// Which fields of a table are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    /// Every field: an unknown one is an error naming it (params).
    All,
    /// Only known fields; others are left for their owner (host tables,
    /// as lua-resty-redis-connector reads them).
    Known,
}

impl Params {
    /// These parameters overridden by `table`'s: first the fields of its
    /// `url` DSN, then its own fields. `read_timeout` without
    /// `send_timeout` sets both.
    pub(crate) fn merged(
        &self,
        lua: &Lua,
        table: Option<&Table>,
        fields: Fields,
    ) -> std::result::Result<Self, String> {
        let mut params = self.clone();
        let Some(table) = table else {
            return Ok(params);
        };
        match table.raw_get::<Value>("url") {
            Ok(Value::Nil) => {}
            Ok(Value::String(url)) => {
                params.set_from(&dsn(lua, &url.to_string_lossy())?, fields)?;
            }
            Ok(other) => return Err(must("url", "a DSN string", &other)),
            Err(e) => return Err(e.to_string()),
        }
        params.set_from(table, fields)?;
        let has = |field: &str| !matches!(table.raw_get::<Value>(field), Ok(Value::Nil));
        if has("read_timeout") && !has("send_timeout") {
            params.send_timeout = params.read_timeout;
        }
        Ok(params)
    }

    fn set_from(&mut self, table: &Table, fields: Fields) -> std::result::Result<(), String> {
        for pair in table.clone().pairs::<Value, Value>() {
            let (key, value) = pair.map_err(|e| e.to_string())?;
            let field = match &key {
                Value::String(s) => s.to_string_lossy(),
                other => return Err(format!("field [{}] does not exist", other.type_name())),
            };
            let field = field.as_str();
            match field {
                "url" => {}
                "connect_timeout" => self.connect_timeout = millis(field, &value, false)?,
                "send_timeout" => self.send_timeout = millis(field, &value, false)?,
                "read_timeout" => self.read_timeout = millis(field, &value, false)?,
                "keepalive_timeout" => self.keepalive_timeout = millis(field, &value, true)?,
                "keepalive_poolsize" => {
                    self.keepalive_poolsize =
                        integer(field, &value, 1..=100_000, "a positive integer")? as u32;
                }
                "connection_options" => match &value {
                    Value::Table(options) => self.connection_options.set_from(options)?,
                    other => return Err(must(field, "a table", other)),
                },
                "host" => self.host = non_empty(field, &value)?,
                "port" => {
                    self.port = integer(field, &value, 1..=65535, "an integer 1..65535")? as u16;
                }
                "path" => self.path = string(field, &value)?,
                "username" => self.username = string(field, &value)?,
                "password" => self.password = Password::new(string(field, &value)?),
                "sentinel_username" => self.sentinel_username = string(field, &value)?,
                "sentinel_password" => {
                    self.sentinel_password = Password::new(string(field, &value)?);
                }
                "db" => {
                    self.db = integer(
                        field,
                        &value,
                        0..=i64::from(u32::MAX),
                        "a non-negative integer",
                    )? as u32;
                }
                "master_name" => self.master_name = non_empty(field, &value)?,
                "role" => self.role = role(&value)?,
                "sentinels" => self.sentinels = sentinels(&value)?,
                "connection_is_proxied" => self.connection_is_proxied = boolean(field, &value)?,
                "disabled_commands" => self.disabled_commands = commands(&value)?,
                _ if fields == Fields::Known => {}
                other => return Err(format!("field {other} does not exist")),
            }
        }
        Ok(())
    }

    /// Whether a connect goes through the sentinels.
    pub(crate) fn via_sentinel(&self) -> bool {
        !self.sentinels.is_empty()
    }

    /// The config of a connection through the `sentinels` when `sentinel`
    /// (to the server of `role` they monitor as `master_name`), else of a
    /// direct one (to the unix `path` if set, else `host:port`), with the
    /// timeouts; none for the `shared` connection (see
    /// [`SharedKey`](crate::sharing::SharedKey)).
    pub(crate) fn config(
        &self,
        sentinel: bool,
        shared: bool,
    ) -> std::result::Result<Config, String> {
        let config = if sentinel {
            if self.sentinels.is_empty() {
                return Err(
                    "no sentinels given: set sentinels = { { host = …, port = … }, … }".to_owned(),
                );
            }
            let mut sentinel = Sentinel::new(&self.master_name, self.role, self.sentinels.clone());
            if !self.sentinel_password.expose().is_empty() {
                let user = Some(self.sentinel_username.as_str()).filter(|u| !u.is_empty());
                sentinel = sentinel.credentials(user, self.sentinel_password.expose());
            }
            Config::default().sentinel(sentinel)
        } else if self.path.is_empty() {
            Config::default()
                .tcp(&self.host, self.port)
                .map_err(|e| e.to_string())?
        } else {
            Config::default().unix(&self.path)
        };
        let config = self.common(config)?;
        if shared {
            return Ok(config);
        }
        config
            .connect_timeout(self.connect_timeout)
            .and_then(|c| c.send_timeout(self.send_timeout))
            .and_then(|c| c.read_timeout(self.read_timeout))
            .map_err(|e| e.to_string())
    }

    /// Database, credentials (a user only with a password), TLS and command
    /// policy.
    fn common(&self, mut config: Config) -> std::result::Result<Config, String> {
        // A proxy has no databases: no SELECT.
        if !self.connection_is_proxied {
            config = config.db(self.db);
        }
        if !self.password.expose().is_empty() {
            config = if self.username.is_empty() {
                config.password(self.password.expose())
            } else {
                config.user(&self.username, self.password.expose())
            }
            .map_err(|e| e.to_string())?;
        }
        let options = &self.connection_options;
        if options.ssl
            && matches!(
                config.endpoint(),
                Endpoint::Tcp { .. } | Endpoint::Sentinel(_)
            )
        {
            let mut tls = tls_options();
            tls.server_name.clone_from(&options.server_name);
            tls.insecure = options.ssl_verify == Some(false);
            config = config.tls(tls);
        }
        Ok(config
            .proxy(self.connection_is_proxied)
            .disabled_commands(&self.disabled_commands))
    }

    /// `rc.config`: every field but the passwords.
    pub(crate) fn to_table(&self, lua: &Lua) -> Result<Table> {
        let table = lua.create_table()?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        table.set("connect_timeout", ms(self.connect_timeout))?;
        table.set("send_timeout", ms(self.send_timeout))?;
        table.set("read_timeout", ms(self.read_timeout))?;
        table.set("keepalive_timeout", ms(self.keepalive_timeout))?;
        table.set("keepalive_poolsize", self.keepalive_poolsize)?;
        let options = lua.create_table()?;
        let o = &self.connection_options;
        options.set("ssl", o.ssl)?;
        options.set("ssl_verify", o.ssl_verify.unwrap_or(true))?;
        options.set("server_name", o.server_name.as_deref())?;
        options.set("pool", o.pool.as_deref())?;
        table.set("connection_options", options)?;
        table.set("host", self.host.as_str())?;
        table.set("port", self.port)?;
        table.set("path", self.path.as_str())?;
        table.set("username", self.username.as_str())?;
        table.set("sentinel_username", self.sentinel_username.as_str())?;
        table.set("db", self.db)?;
        table.set("master_name", self.master_name.as_str())?;
        table.set("role", role_name(self.role))?;
        let sentinels = lua.create_table()?;
        for (i, (host, port)) in self.sentinels.iter().enumerate() {
            let entry = lua.create_table()?;
            entry.set("host", host.as_str())?;
            entry.set("port", *port)?;
            sentinels.raw_set(i + 1, entry)?;
        }
        table.set("sentinels", sentinels)?;
        table.set("connection_is_proxied", self.connection_is_proxied)?;
        table.set("disabled_commands", self.disabled_commands.clone())?;
        Ok(table)
    }
}

/// The fields a DSN sets, as a table: `redis://` and `rediss://` (host,
/// port, db, credentials; `rediss` sets `connection_options.ssl`),
/// `unix://` (path, credentials) and `sentinel://` (`master_name`, role, db,
/// credentials). A db is set only when the DSN has one.
pub(crate) fn dsn(lua: &Lua, url: &str) -> std::result::Result<Table, String> {
    let bad = |why: String| format!("could not parse DSN: {why}");
    if url.contains('?') {
        return Err(bad(
            "query options are not read here: set them as fields".to_owned()
        ));
    }
    let config: Config = url
        .parse()
        .map_err(|e: redwire::ConfigError| bad(e.to_string()))?;
    let lua_err = |e: mlua::Error| e.to_string();
    let fields = lua.create_table().map_err(lua_err)?;
    match config.endpoint() {
        Endpoint::Tcp { host, port } => {
            fields.set("host", host.as_str()).map_err(lua_err)?;
            fields.set("port", *port).map_err(lua_err)?;
        }
        Endpoint::Unix(path) => {
            fields
                .set("path", path.to_string_lossy().as_ref())
                .map_err(lua_err)?;
        }
        Endpoint::Sentinel(sentinel) => {
            let role = role_name(sentinel.role);
            fields
                .set("master_name", sentinel.master_name.as_str())
                .map_err(lua_err)?;
            fields.set("role", role).map_err(lua_err)?;
        }
        _ => {
            return Err(bad(
                "use redis://, rediss://, unix:// or sentinel://".to_owned()
            ))
        }
    }
    if has_db(url) {
        fields.set("db", config.get_db()).map_err(lua_err)?;
    }
    if let Some(user) = config.get_username() {
        fields.set("username", user).map_err(lua_err)?;
    }
    if let Some(password) = config.get_password() {
        fields.set("password", password.expose()).map_err(lua_err)?;
    }
    if config.get_tls().is_some() {
        let options = lua.create_table().map_err(lua_err)?;
        options.set("ssl", true).map_err(lua_err)?;
        fields.set("connection_options", options).map_err(lua_err)?;
    }
    Ok(fields)
}

/// Whether a (parsed, so well-formed) non-unix DSN names a database.
fn has_db(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("unix") {
        return false;
    }
    let location = rest.rsplit_once('@').map_or(rest, |(_, location)| location);
    location
        .split_once('/')
        .is_some_and(|(_, db)| !db.is_empty())
}
