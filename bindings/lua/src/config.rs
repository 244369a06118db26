//! `redis.connect`'s config: `nil`, `"host:port[/db]"` or a table,
//! validated with messages that name the field and the rule.

use std::time::Duration;

use mlua::{Lua, Result, Table, Value};
use redwire::cache::{CacheConfig, Tracking};
use redwire::{Config, Endpoint, Keepalive, Password, Protocol, TlsOptions, DEFAULT_KEEPALIVE};

/// The environment variable naming a PEM file of CAs to trust for `ssl`
/// (instead of the built-in web roots).
const TLS_CA_FILE: &str = "REDWIRE_TLS_CA_FILE";

/// TLS settings that trust the CAs of `REDWIRE_TLS_CA_FILE`, else the web
/// roots.
pub(crate) fn tls_options() -> TlsOptions {
    let mut tls = TlsOptions::default();
    tls.ca_file = std::env::var_os(TLS_CA_FILE).map(Into::into);
    tls
}

/// The longest `timeout` taken, in seconds (a year).
const MAX_TIMEOUT_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// A validated config.
#[derive(Debug, Clone)]
pub(crate) struct ClientConfig {
    host: String,
    port: u16,
    db: Option<u32>,
    timeout: Option<f64>,
    ssl: bool,
    user: Option<String>,
    pass: Option<Password>,
    /// `keepalive`: `false` (none) or `{ idle, interval, count }`; `None`
    /// when not given (the core's).
    #[allow(clippy::option_option)] // "not given" and "off" differ
    keepalive: Option<Option<Keepalive>>,
    /// `peer_timeout` in seconds (`0`: none); `None` when not given.
    #[allow(clippy::option_option)]
    peer_timeout: Option<Option<Duration>>,
    /// `cache`: a client-side cache of its shared connection's reads.
    cache: Option<CacheConfig>,
}

fn invalid(rule: &str, got: impl std::fmt::Display) -> String {
    format!("invalid config: {rule}, got {got}")
}

/// How a Lua value shows in a message (never a password).
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{:?}", s.to_string_lossy()),
        Value::Integer(n) => n.to_string(),
        Value::Number(n) => n.to_string(),
        other => lua_type(other).to_owned(),
    }
}

/// The value's type as Lua's `type()` names it.
pub(crate) fn lua_type(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) | Value::Number(_) => "number",
        other => other.type_name(),
    }
}

/// Seconds, a positive number up to a year, or `0` for none.
fn seconds_or_off(name: &str, value: &Value) -> std::result::Result<Option<Duration>, String> {
    let seconds = match value {
        Value::Integer(n) => *n as f64,
        Value::Number(n) => *n,
        other => {
            return Err(invalid(
                &format!("{name} must be a number of seconds (0: none)"),
                shown(other),
            ))
        }
    };
    if seconds == 0.0 {
        return Ok(None);
    }
    if !(seconds > 0.0 && seconds <= MAX_TIMEOUT_SECONDS) {
        return Err(invalid(
            &format!("{name} must be a number of seconds (0: none), at most a year"),
            shown(value),
        ));
    }
    Ok(Some(Duration::from_secs_f64(seconds)))
}

/// `keepalive`: `false`, or `{ idle = s, interval = s, count = n }` (each
/// field defaulting to the core's).
#[allow(clippy::option_option)] // "not given" and "off" differ
fn keepalive(value: &Value) -> std::result::Result<Option<Option<Keepalive>>, String> {
    let rule = "keepalive must be false or a table { idle = s, interval = s, count = n }";
    let table = match value {
        Value::Nil => return Ok(None),
        Value::Boolean(false) => return Ok(Some(None)),
        Value::Table(table) => table,
        other => return Err(invalid(rule, shown(other))),
    };
    let mut keepalive = DEFAULT_KEEPALIVE;
    for (name, slot) in [
        ("idle", &mut keepalive.idle),
        ("interval", &mut keepalive.interval),
    ] {
        match table.raw_get::<Value>(name).unwrap_or(Value::Nil) {
            Value::Nil => {}
            value => {
                *slot = seconds_or_off(&format!("keepalive.{name}"), &value)?
                    .ok_or_else(|| invalid(rule, format!("{name} = 0")))?;
            }
        }
    }
    match table.raw_get::<Value>("count").unwrap_or(Value::Nil) {
        Value::Nil => {}
        Value::Integer(n) if (1..=i64::from(u32::MAX)).contains(&n) => keepalive.count = n as u32,
        Value::Number(n) if n.fract() == 0.0 && n >= 1.0 && n <= f64::from(u32::MAX) => {
            keepalive.count = n as u32;
        }
        other => return Err(invalid(rule, format!("count = {}", shown(&other)))),
    }
    Ok(Some(Some(keepalive)))
}

/// `cache = { max_entries, max_bytes, ttl, tracking, prefixes }` of
/// `table` (a `redis.connect` config, a nauthilus pool's options): `nil`
/// when not given; `tracking` is `"plain"` (the default), `"optin"` or
/// `"bcast"` (with `prefixes`, a list of strings).
pub(crate) fn cache(table: &Table) -> std::result::Result<Option<CacheConfig>, String> {
    let cache = match table.raw_get::<Value>("cache").unwrap_or(Value::Nil) {
        Value::Nil => return Ok(None),
        Value::Table(cache) => cache,
        other => return Err(invalid("cache must be a table", lua_type(&other))),
    };
    for pair in cache.pairs::<Value, Value>() {
        let (name, _) = pair.map_err(|e| invalid("cache must be a table of fields", e))?;
        let known = matches!(&name, Value::String(s) if matches!(
            s.as_bytes().as_ref(),
            b"max_entries" | b"max_bytes" | b"ttl" | b"tracking" | b"prefixes"
        ));
        if !known {
            return Err(invalid(
                "cache takes max_entries, max_bytes, ttl, tracking and prefixes",
                shown(&name),
            ));
        }
    }
    let field = |name: &str| cache.raw_get::<Value>(name).unwrap_or(Value::Nil);
    let count = |name: &str| match field(name) {
        Value::Nil => Ok(None),
        Value::Integer(n) if n > 0 => Ok(usize::try_from(n).ok()),
        Value::Number(n) if n.fract() == 0.0 && n >= 1.0 => Ok(Some(n as usize)),
        other => Err(invalid(
            &format!("cache.{name} must be a positive integer"),
            shown(&other),
        )),
    };
    let fail = |e: redwire::ConfigError| format!("invalid config: cache: {e}");
    let mut config = CacheConfig::default();
    if let Some(n) = count("max_entries")? {
        config = config.max_entries(n).map_err(fail)?;
    }
    if let Some(n) = count("max_bytes")? {
        config = config.max_bytes(n).map_err(fail)?;
    }
    let ttl = match field("ttl") {
        Value::Nil => None,
        value => seconds_or_off("cache.ttl", &value)?,
    };
    config = config.ttl(ttl).map_err(fail)?;
    let prefixes = match field("prefixes") {
        Value::Nil => Vec::new(),
        Value::Table(list) => list
            .sequence_values::<String>()
            .collect::<Result<Vec<_>>>()
            .map_err(|_| invalid("cache.prefixes must be a list of strings", "another table"))?,
        other => {
            return Err(invalid(
                "cache.prefixes must be a list of strings",
                shown(&other),
            ))
        }
    };
    let tracking = match field("tracking") {
        Value::Nil => Tracking::Default,
        Value::String(s) if s.as_bytes() == b"plain" => Tracking::Default,
        Value::String(s) if s.as_bytes() == b"optin" => Tracking::OptIn,
        Value::String(s) if s.as_bytes() == b"bcast" => Tracking::Broadcast(prefixes.clone()),
        other => {
            return Err(invalid(
                "cache.tracking must be \"plain\", \"optin\" or \"bcast\"",
                shown(&other),
            ))
        }
    };
    if !prefixes.is_empty() && !matches!(tracking, Tracking::Broadcast(_)) {
        return Err(invalid(
            "cache.prefixes needs cache.tracking \"bcast\"",
            "another tracking",
        ));
    }
    Ok(Some(config.tracking(tracking)))
}

/// `config` with the dead-peer settings `keepalive` and `peer_timeout`
/// (seconds) of a Lua table applied, each when given.
pub(crate) fn dead_peers(mut config: Config, table: &Table) -> std::result::Result<Config, String> {
    if let Some(keepalive) = keepalive(&table.raw_get("keepalive").unwrap_or(Value::Nil))? {
        config = config.keepalive(keepalive).map_err(|e| e.to_string())?;
    }
    match table.raw_get("peer_timeout").unwrap_or(Value::Nil) {
        Value::Nil => Ok(config),
        value => config
            .peer_timeout(seconds_or_off("peer_timeout", &value)?)
            .map_err(|e| e.to_string()),
    }
}

impl ClientConfig {
    /// Reads `nil` (127.0.0.1:6379), `"host:port[/db]"` or a table; extra
    /// table fields are ignored.
    pub(crate) fn from_lua(value: &Value) -> std::result::Result<Self, String> {
        match value {
            Value::Nil => Self::from_str("127.0.0.1:6379"),
            Value::String(s) => Self::from_str(&s.to_string_lossy()),
            Value::Table(t) => Self::from_table(t),
            other => Err(invalid(
                "config must be nil, a \"host:port[/db]\" string or a table",
                lua_type(other),
            )),
        }
    }

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let (address, db) = match text.split_once('/') {
            Some((address, db)) => (address, Some(db)),
            None => (text, None),
        };
        let Some((host, port)) = address.rsplit_once(':') else {
            return Err(invalid(
                "config must be \"host:port\" or \"host:port/db\"",
                format!("{text:?}"),
            ));
        };
        if host.is_empty() {
            return Err(invalid("host must be a non-empty string", "\"\""));
        }
        let port = port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            invalid(
                "port must be an integer in range 1..65535",
                format!("{port:?}"),
            )
        })?;
        let db = db
            .map(|db| {
                db.parse::<u32>()
                    .map_err(|_| invalid("db must be a non-negative integer", format!("{db:?}")))
            })
            .transpose()?;
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            db,
            timeout: None,
            ssl: false,
            user: None,
            pass: None,
            keepalive: None,
            peer_timeout: None,
            cache: None,
        })
    }

    fn from_table(table: &Table) -> std::result::Result<Self, String> {
        let field = |name: &str| table.raw_get::<Value>(name).unwrap_or(Value::Nil);
        let host = match field("host") {
            Value::String(s) if !s.as_bytes().is_empty() => s.to_string_lossy(),
            other => return Err(invalid("host must be a non-empty string", shown(&other))),
        };
        let port = match field("port") {
            Value::Nil => 6379,
            Value::Integer(n) => u16::try_from(n)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid("port must be an integer in range 1..65535", n))?,
            Value::Number(n) if n.fract() == 0.0 && (1.0..=65535.0).contains(&n) => n as u16,
            other => {
                return Err(invalid(
                    "port must be an integer in range 1..65535",
                    shown(&other),
                ))
            }
        };
        let db = match field("db") {
            Value::Nil => None,
            Value::Integer(n) => Some(
                u32::try_from(n).map_err(|_| invalid("db must be a non-negative integer", n))?,
            ),
            Value::Number(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Some(n as u32)
            }
            other => return Err(invalid("db must be a non-negative integer", shown(&other))),
        };
        let timeout = match field("timeout") {
            Value::Nil => None,
            // Up to a year: anything longer is a mistake, and past 2^64
            // seconds not even a `Duration`.
            Value::Integer(n) if (1..=MAX_TIMEOUT_SECONDS as i64).contains(&n) => Some(n as f64),
            Value::Number(n) if n > 0.0 && n <= MAX_TIMEOUT_SECONDS => Some(n),
            other => {
                return Err(invalid(
                    "timeout must be a positive number of seconds, at most a year",
                    shown(&other),
                ))
            }
        };
        let ssl = match field("ssl") {
            Value::Nil => false,
            Value::Boolean(b) => b,
            other => return Err(invalid("ssl must be a boolean", shown(&other))),
        };
        let (user, pass) = match field("auth") {
            Value::Nil => (None, None),
            Value::Table(auth) => {
                let text = |name: &str| match auth.raw_get::<Value>(name) {
                    Ok(Value::String(s)) if !s.as_bytes().is_empty() => Some(s.to_string_lossy()),
                    _ => None,
                };
                match (text("user"), text("pass")) {
                    (Some(user), Some(pass)) => (Some(user), Some(Password::new(pass))),
                    _ => {
                        return Err(invalid(
                            "auth must be a table with non-empty string fields user and pass",
                            "a table without them",
                        ))
                    }
                }
            }
            other => {
                return Err(invalid(
                    "auth must be a table with non-empty string fields user and pass",
                    lua_type(&other),
                ))
            }
        };
        Ok(Self {
            host,
            port,
            db,
            timeout,
            ssl,
            user,
            pass,
            keepalive: keepalive(&field("keepalive"))?,
            peer_timeout: match field("peer_timeout") {
                Value::Nil => None,
                value => Some(seconds_or_off("peer_timeout", &value)?),
            },
            cache: cache(table)?,
        })
    }

    /// The connector's config.
    pub(crate) fn to_config(&self) -> std::result::Result<Config, String> {
        let mut config = Config::default()
            .tcp(&self.host, self.port)
            .map_err(|e| e.to_string())?
            .db(self.db.unwrap_or(0));
        if let (Some(user), Some(pass)) = (&self.user, &self.pass) {
            config = config
                .user(user, pass.expose())
                .map_err(|e| e.to_string())?;
        }
        if let Some(seconds) = self.timeout {
            let timeout = Duration::from_secs_f64(seconds);
            config = config
                .connect_timeout(timeout)
                .and_then(|c| c.send_timeout(timeout))
                .and_then(|c| c.read_timeout(timeout))
                .map_err(|e| e.to_string())?;
        }
        if self.ssl {
            config = config.tls(tls_options());
        }
        if let Some(keepalive) = self.keepalive {
            config = config.keepalive(keepalive).map_err(|e| e.to_string())?;
        }
        if let Some(timeout) = self.peer_timeout {
            config = config.peer_timeout(timeout).map_err(|e| e.to_string())?;
        }
        debug_assert!(matches!(config.endpoint(), Endpoint::Tcp { .. }));
        Ok(config)
    }

    /// The configuration of the state's shared connection for this
    /// client's server: its own without the `timeout` (see
    /// [`SharedKey`](crate::sharing::SharedKey)).
    pub(crate) fn to_shared_config(&self) -> std::result::Result<Config, String> {
        let config = Self {
            timeout: None,
            ..self.clone()
        }
        .to_config()?;
        // A cache's invalidations come on RESP3; its replies are shown as
        // RESP2's (see `convert::as_resp2`).
        Ok(if self.cache.is_some() {
            config.protocol(Protocol::Resp3)
        } else {
            config
        })
    }

    /// The `cache` asked for, if any.
    pub(crate) fn cache(&self) -> Option<&CacheConfig> {
        self.cache.as_ref()
    }

    /// The `timeout`, if one was given.
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout.map(Duration::from_secs_f64)
    }

    /// The normalized config as a table: host, port, db, timeout, ssl, and
    /// `auth = { user = … }` (the password is not shown).
    pub(crate) fn to_table(&self, lua: &Lua) -> Result<Table> {
        let table = lua.create_table()?;
        table.set("host", self.host.as_str())?;
        table.set("port", self.port)?;
        table.set("db", self.db.unwrap_or(0))?;
        table.set("timeout", self.timeout)?;
        table.set("ssl", self.ssl)?;
        if let Some(user) = &self.user {
            let auth = lua.create_table()?;
            auth.set("user", user.as_str())?;
            table.set("auth", auth)?;
        }
        Ok(table)
    }
}
