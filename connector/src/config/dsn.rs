//! Parsing the string forms of a [`Config`]: `host:port[/db]`, a socket
//! path, and `redis://`, `rediss://`, `unix://` and `sentinel://` DSNs.
//!
//! Credentials in a DSN, percent-decoded:
//! - `redis://user:pass@host`: `AUTH user pass`;
//! - `redis://:pass@host` and `redis://pass@host` (no colon, as
//!   lua-resty-redis-connector reads it): `AUTH pass`;
//! - `redis://user:@host`: an error, a user needs a non-empty password.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::config::{Config, Keepalive, Password, Protocol, Role, Sentinel, TlsOptions};
use crate::error::ConfigError;

/// A URL, as [`str::parse`] reads it.
impl TryFrom<&str> for Config {
    type Error = ConfigError;

    fn try_from(url: &str) -> Result<Self, ConfigError> {
        url.parse()
    }
}

/// A URL, as [`str::parse`] reads it.
impl TryFrom<String> for Config {
    type Error = ConfigError;

    fn try_from(url: String) -> Result<Self, ConfigError> {
        url.parse()
    }
}

impl FromStr for Config {
    type Err = ConfigError;

    /// Parses any accepted form; the empty string is `127.0.0.1:6379`.
    fn from_str(input: &str) -> Result<Self, ConfigError> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(Self::default());
        }
        let (body, query) = match input.split_once('?') {
            Some((body, query)) => (body, Some(query)),
            None => (input, None),
        };
        if let Some((_, rest)) = input.split_once("://") {
            refuse_stray_at(rest)?;
        }
        let mut config = match body.split_once("://") {
            Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
                "redis" => server(rest, false)?,
                "rediss" => server(rest, true)?,
                "unix" => unix(rest)?,
                "sentinel" => sentinel(rest)?,
                "redis+cluster" => cluster(rest, false)?,
                "rediss+cluster" => cluster(rest, true)?,
                other => {
                    return Err(ConfigError::dsn(
                        "scheme",
                        format!(
                            "unknown scheme {other:?}, expected redis, rediss, unix, sentinel, redis+cluster or rediss+cluster"
                        ),
                    ))
                }
            },
            None if body.starts_with('/') || body.starts_with("./") => Self::default().unix(body),
            None => server(body, false)?,
        };
        if let Some(query) = query {
            config = apply_query(config, query)?;
        }
        Ok(config)
    }
}

/// Refuses an `@` after the end of the authority (a `/` or `?`) when the
/// authority holds none: it means a password with an unescaped `/` or `?`,
/// and echoing any part of the DSN in an error could show that password.
fn refuse_stray_at(rest: &str) -> Result<(), ConfigError> {
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if rest.starts_with('/') || rest[..authority_end].contains('@') {
        return Ok(());
    }
    let after = &rest[authority_end..];
    let (path, query) = after.split_once('?').unwrap_or((after, ""));
    let first_key = query.split(['=', '&']).next().unwrap_or_default();
    if path.contains('@') || first_key.contains('@') {
        return Err(ConfigError::dsn(
            "userinfo",
            "an @ after the host: percent-encode /, ? and @ in the user and password",
        ));
    }
    Ok(())
}

/// `[[user]:[password]@]host[:port][/db]`.
fn server(rest: &str, tls: bool) -> Result<Config, ConfigError> {
    let (userinfo, location) = split_userinfo(rest);
    let (authority, db) = match location.split_once('/') {
        Some((authority, db)) => (authority, Some(db)),
        None => (location, None),
    };
    let (host, port) = host_port(authority)?;
    let mut config = Config::default().tcp(&host, port)?;
    if tls {
        config = config.tls(TlsOptions::default());
    }
    config = credentials(config, userinfo)?;
    match db {
        Some(db) if !db.is_empty() => Ok(config.db(parse_db(db)?)),
        _ => Ok(config),
    }
}

/// `[[user]:[password]@]host:port[,host:port…][/0]`: a cluster's seed
/// nodes (a cluster serves only db 0).
fn cluster(rest: &str, tls: bool) -> Result<Config, ConfigError> {
    let (userinfo, location) = split_userinfo(rest);
    let (authority, db) = match location.split_once('/') {
        Some((authority, db)) => (authority, Some(db)),
        None => (location, None),
    };
    if let Some(db) = db.filter(|db| !db.is_empty() && *db != "0") {
        return Err(ConfigError::invalid(
            "db",
            "0 (a cluster serves only db 0)",
            db,
        ));
    }
    let seeds = authority
        .split(',')
        .map(host_port)
        .collect::<Result<Vec<_>, _>>()?;
    let mut config = Config::default().cluster(seeds)?;
    if tls {
        config = config.tls(TlsOptions::default());
    }
    credentials(config, userinfo)
}

/// `[[user]:[password]@]/path/to.sock`.
fn unix(rest: &str) -> Result<Config, ConfigError> {
    let (userinfo, path) = split_userinfo(rest);
    if !path.starts_with('/') {
        return Err(ConfigError::dsn(
            "path",
            format!("unix socket path {path:?} is not absolute"),
        ));
    }
    credentials(
        Config::default().unix(PathBuf::from(decode("path", path)?)),
        userinfo,
    )
}

/// `[[user]:[password]@]master_name:role[/db]`.
fn sentinel(rest: &str) -> Result<Config, ConfigError> {
    let (userinfo, location) = split_userinfo(rest);
    let (name_role, db) = match location.split_once('/') {
        Some((name_role, db)) => (name_role, Some(db)),
        None => (location, None),
    };
    let (master_name, role) = name_role.rsplit_once(':').ok_or_else(|| {
        ConfigError::dsn(
            "master",
            format!("{name_role:?} is not master_name:role (role m, s or a)"),
        )
    })?;
    if master_name.is_empty() {
        return Err(ConfigError::invalid(
            "master_name",
            "a non-empty string",
            master_name,
        ));
    }
    let role = match role {
        "m" => Role::Master,
        "s" => Role::Replica,
        "a" => Role::Any,
        other => {
            return Err(ConfigError::invalid(
                "role",
                "m (master), s (replica) or a (any)",
                other,
            ))
        }
    };
    let mut config = Config::default().sentinel(Sentinel {
        master_name: decode("master_name", master_name)?,
        role,
        sentinels: Vec::new(),
        username: None,
        password: None,
    });
    config = credentials(config, userinfo)?;
    match db {
        Some(db) if !db.is_empty() => Ok(config.db(parse_db(db)?)),
        _ => Ok(config),
    }
}

/// Splits `userinfo@rest` at the last `@` before the path, so an unescaped
/// `@` in a password survives; a leading `/` is a path with no userinfo.
fn split_userinfo(rest: &str) -> (Option<&str>, &str) {
    if rest.starts_with('/') {
        return (None, rest);
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    }
}

fn credentials(config: Config, userinfo: Option<&str>) -> Result<Config, ConfigError> {
    let Some(userinfo) = userinfo else {
        return Ok(config);
    };
    match userinfo.split_once(':') {
        Some(("", password)) => config.password(&decode("password", password)?),
        Some((user, password)) => {
            config.user(&decode("username", user)?, &decode("password", password)?)
        }
        None => config.password(&decode("password", userinfo)?),
    }
}

fn host_port(authority: &str) -> Result<(String, u16), ConfigError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| ConfigError::dsn("host", format!("unclosed [ in {authority:?}")))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => {
                    return Err(ConfigError::dsn(
                        "host",
                        format!("unexpected {after:?} after ]"),
                    ))
                }
            },
        }
    } else if authority.matches(':').count() > 1 {
        return Err(ConfigError::dsn(
            "host",
            format!(
                "{authority:?} looks like an IPv6 address: write it in brackets, e.g. [::1]:6379"
            ),
        ));
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(ConfigError::invalid("host", "a non-empty string", host));
    }
    let port = match port {
        None => 6379,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| ConfigError::invalid("port", "an integer 1..65535", text))?,
    };
    Ok((host.to_owned(), port))
}

fn parse_db(text: &str) -> Result<u32, ConfigError> {
    text.parse()
        .map_err(|_| ConfigError::invalid("db", "a non-negative integer", text))
}

fn millis(field: &'static str, text: &str) -> Result<Duration, ConfigError> {
    text.parse::<u64>()
        .ok()
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
        .ok_or_else(|| ConfigError::invalid(field, "a positive number of milliseconds", text))
}

/// Milliseconds, or `0` for none.
fn millis_or_off(field: &'static str, text: &str) -> Result<Option<Duration>, ConfigError> {
    match text {
        "0" => Ok(None),
        _ => millis(field, text).map(Some),
    }
}

/// `IDLE_MS,INTERVAL_MS,COUNT`, or `0` for none.
fn keepalive(text: &str) -> Result<Option<Keepalive>, ConfigError> {
    if text == "0" {
        return Ok(None);
    }
    let rule = "0, or idle and interval milliseconds and a probe count (15000,5000,3)";
    let invalid = || ConfigError::invalid("keepalive", rule, text);
    let [idle, interval, count] = text.split(',').collect::<Vec<_>>()[..] else {
        return Err(invalid());
    };
    Ok(Some(Keepalive {
        idle: millis("keepalive", idle).map_err(|_| invalid())?,
        interval: millis("keepalive", interval).map_err(|_| invalid())?,
        count: count.parse().map_err(|_| invalid())?,
    }))
}

fn flag(field: &'static str, text: &str) -> Result<bool, ConfigError> {
    match text {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ConfigError::invalid(field, "true or false", text)),
    }
}

/// Query parameters: timeouts in milliseconds, keepalive, TLS files,
/// protocol, name,
/// proxy mode, disabled commands, bind address, db, and the sentinel list
/// and credentials.
fn apply_query(mut config: Config, query: &str) -> Result<Config, ConfigError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode("query parameter", raw)?;
        let value = value.as_str();
        config = match key {
            "db" => config.db(parse_db(value)?),
            "connect_timeout" => config.connect_timeout(millis("connect_timeout", value)?)?,
            "send_timeout" => config.send_timeout(millis("send_timeout", value)?)?,
            "read_timeout" => config.read_timeout(millis("read_timeout", value)?)?,
            "keepalive" => config.keepalive(keepalive(value)?)?,
            "user_timeout" => config.user_timeout(millis_or_off("user_timeout", value)?)?,
            "peer_timeout" => config.peer_timeout(millis_or_off("peer_timeout", value)?)?,
            "protocol" => config.protocol(match value {
                "2" => Protocol::Resp2,
                "3" => Protocol::Resp3,
                _ => return Err(ConfigError::invalid("protocol", "2 or 3", value)),
            }),
            "client_name" => config.client_name(value),
            "proxy" => config.proxy(flag("proxy", value)?),
            "disabled_commands" => config.disabled_commands(
                &value
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>(),
            ),
            "bind" => config.bind(
                value
                    .parse()
                    .map_err(|_| ConfigError::invalid("bind", "an IP address", value))?,
            ),
            "ca_file" | "client_cert" | "client_key" | "server_name" | "insecure" => {
                tls_option(config, key, value)?
            }
            "sentinels" | "sentinel_username" | "sentinel_password" => {
                sentinel_option(config, key, value)?
            }
            other => {
                return Err(ConfigError::dsn(
                    "query parameter",
                    format!("unknown parameter {other:?}"),
                ));
            }
        };
    }
    Ok(config)
}

fn tls_option(mut config: Config, key: &str, value: &str) -> Result<Config, ConfigError> {
    let Some(tls) = config.tls.as_mut() else {
        return Err(ConfigError::dsn(
            "query parameter",
            format!("{key} needs a rediss:// DSN"),
        ));
    };
    match key {
        "ca_file" => tls.ca_file = Some(value.into()),
        "client_cert" => tls.client_cert = Some(value.into()),
        "client_key" => tls.client_key = Some(value.into()),
        "server_name" => tls.server_name = Some(value.to_owned()),
        _ => tls.insecure = flag("insecure", value)?,
    }
    Ok(config)
}

fn sentinel_option(mut config: Config, key: &str, value: &str) -> Result<Config, ConfigError> {
    let super::Endpoint::Sentinel(sentinel) = &mut config.endpoint else {
        return Err(ConfigError::dsn(
            "query parameter",
            format!("{key} needs a sentinel:// DSN"),
        ));
    };
    match key {
        "sentinels" => {
            for address in value.split(',').filter(|a| !a.is_empty()) {
                sentinel.sentinels.push(host_port(address)?);
            }
        }
        "sentinel_username" if value.is_empty() => {
            return Err(ConfigError::invalid(
                "sentinel_username",
                "a non-empty string",
                value,
            ))
        }
        "sentinel_username" => sentinel.username = Some(value.to_owned()),
        _ if value.is_empty() => {
            return Err(ConfigError::invalid(
                "sentinel_password",
                "a non-empty string",
                "",
            ))
        }
        _ => sentinel.password = Some(Password::new(value)),
    }
    Ok(config)
}

/// Percent-decodes `text`; `part` names it in the error.
fn decode(part: &'static str, text: &str) -> Result<String, ConfigError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| ConfigError::dsn(part, "a % not followed by two hex digits"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ConfigError::dsn(part, "percent-decodes to invalid UTF-8"))
}
