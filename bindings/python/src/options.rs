//! Client options, as the Python package passes them (a dict of redis-py's
//! names), made into a redwire [`Config`] and pool settings; a bad value is
//! a `ConfigError` naming the option.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use redwire::cache::{CacheConfig, Tracking};
use redwire::{Config, Endpoint, Keepalive, PoolConfig, Protocol, Role, Sentinel, TlsOptions};

/// What a client is made from.
#[derive(Clone)]
pub(crate) struct Options {
    pub(crate) config: Config,
    pub(crate) pool: PoolConfig,
    pub(crate) decode_responses: bool,
    pub(crate) read_from_replicas: bool,
    /// A client-side cache (`cache_max_entries` given).
    pub(crate) cache: Option<CacheConfig>,
}

/// Every option a client takes.
const KNOWN: &[&str] = &[
    "url",
    "host",
    "port",
    "unix_socket_path",
    "db",
    "username",
    "password",
    "ssl",
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_cert_reqs",
    "socket_timeout",
    "socket_connect_timeout",
    "client_name",
    "protocol",
    "max_connections",
    "pool_timeout",
    "sentinels",
    "service_name",
    "sentinel_role",
    "sentinel_username",
    "sentinel_password",
    "read_from_replicas",
    "decode_responses",
    "tcp_keepalive",
    "tcp_user_timeout",
    "peer_timeout",
    "cache_max_entries",
    "cache_max_bytes",
    "cache_ttl",
    "cache_tracking",
    "cache_prefixes",
];

/// A `ConfigError` naming `option`; the value is shown unless secret.
fn invalid(py: Python<'_>, option: &str, rule: &str, value: &Bound<'_, PyAny>) -> PyErr {
    // A URL may carry a password too.
    let shown = if option.contains("password") || option == "url" {
        value
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string())
    } else {
        value
            .repr()
            .map_or_else(|_| "?".to_owned(), |r| r.to_string())
    };
    config_error(
        py,
        &format!("invalid option {option}: expected {rule}, got {shown}"),
    )
}

fn config_error(py: Python<'_>, message: &str) -> PyErr {
    match py
        .import("redwire.exceptions")
        .and_then(|m| m.getattr("ConfigError"))
        .and_then(|class| class.call1((message,)))
    {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// The options, read one by one.
struct Reader<'a, 'py> {
    py: Python<'py>,
    options: &'a Bound<'py, PyDict>,
}

impl<'py> Reader<'_, 'py> {
    fn get(&self, option: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self.options.get_item(option)?.filter(|v| !v.is_none()))
    }

    fn string(&self, option: &str) -> PyResult<Option<String>> {
        self.get(option)?
            .map(|v| {
                v.extract::<String>()
                    .map_err(|_| invalid(self.py, option, "a str", &v))
            })
            .transpose()
    }

    fn boolean(&self, option: &str) -> PyResult<Option<bool>> {
        self.get(option)?
            .map(|v| {
                v.cast::<pyo3::types::PyBool>()
                    .map(PyBoolMethods::is_true)
                    .map_err(|_| invalid(self.py, option, "a bool", &v))
            })
            .transpose()
    }

    fn integer(&self, option: &str, min: i64, max: i64) -> PyResult<Option<i64>> {
        self.get(option)?
            .map(|v| {
                v.extract::<i64>()
                    .ok()
                    .filter(|n| {
                        (min..=max).contains(n) && !v.is_instance_of::<pyo3::types::PyBool>()
                    })
                    .ok_or_else(|| invalid(self.py, option, &format!("an int {min}..{max}"), &v))
            })
            .transpose()
    }

    fn seconds(&self, option: &str) -> PyResult<Option<Duration>> {
        self.get(option)?
            .map(|v| {
                v.extract::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0 && !v.is_instance_of::<pyo3::types::PyBool>())
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| invalid(self.py, option, "a positive number of seconds", &v))
            })
            .transpose()
    }

    /// Seconds, or `Some(None)` for `0` or `False` (off); `None` when not
    /// given.
    #[allow(clippy::option_option)] // "not given" and "off" differ
    fn seconds_or_off(&self, option: &str) -> PyResult<Option<Option<Duration>>> {
        let Some(value) = self.get(option)? else {
            return Ok(None);
        };
        if !value.is_truthy()? {
            return Ok(Some(None));
        }
        self.seconds(option).map(|s| s.map(Some))
    }

    /// A `ConfigError` for the first of `options` that is set: each needs
    /// `what`, which is missing.
    fn refuse_without(&self, options: &[&str], what: &str) -> PyResult<()> {
        for option in options {
            if self.get(option)?.is_some() {
                return Err(config_error(
                    self.py,
                    &format!("invalid option {option}: it needs {what}"),
                ));
            }
        }
        Ok(())
    }

    /// `[(host, port), …]`.
    fn addresses(&self, option: &str) -> PyResult<Option<Vec<(String, u16)>>> {
        let Some(value) = self.get(option)? else {
            return Ok(None);
        };
        let rule = "a list of (host, port) pairs";
        let list = value
            .cast::<PyList>()
            .map_err(|_| invalid(self.py, option, rule, &value))?;
        let mut addresses = Vec::new();
        for item in list.iter() {
            let pair = item
                .cast::<PyTuple>()
                .ok()
                .and_then(|t| t.extract::<(String, u16)>().ok())
                .filter(|(host, port)| !host.is_empty() && *port > 0)
                .ok_or_else(|| invalid(self.py, option, rule, &item))?;
            addresses.push(pair);
        }
        Ok(Some(addresses))
    }
}

impl Options {
    /// Reads `options`; an unknown one is a `ConfigError` naming it.
    pub(crate) fn from_dict(py: Python<'_>, options: &Bound<'_, PyDict>) -> PyResult<Self> {
        for key in options.keys() {
            let key = key.str()?.to_string();
            if !KNOWN.contains(&key.as_str()) {
                return Err(config_error(py, &format!("unknown option {key}")));
            }
        }
        let r = Reader { py, options };
        let fail = |e: redwire::ConfigError| config_error(py, &e.to_string());
        let mut config = match r.string("url")? {
            Some(url) => url.parse::<Config>().map_err(fail)?,
            None => Config::default(),
        };
        if let Some(path) = r.string("unix_socket_path")? {
            config = config.unix(path);
        } else if r.get("host")?.is_some() || r.get("port")?.is_some() {
            let (host, port) = match config.endpoint() {
                Endpoint::Tcp { host, port } => (host.clone(), *port),
                _ => ("127.0.0.1".to_owned(), 6379),
            };
            let host = r.string("host")?.unwrap_or(host);
            let port = r.integer("port", 1, 65535)?.map_or(port, |p| p as u16);
            config = config.tcp(&host, port).map_err(fail)?;
        }
        config = sentinel(&r, config)?;
        if let Some(db) = r.integer("db", 0, i64::from(u32::MAX))? {
            config = config.db(db as u32);
        }
        match (r.string("username")?, r.string("password")?) {
            (Some(user), Some(password)) => config = config.user(&user, &password).map_err(fail)?,
            (None, Some(password)) => config = config.password(&password).map_err(fail)?,
            (Some(_), None) => {
                return Err(config_error(
                    py,
                    "invalid option username: it needs a password",
                ))
            }
            (None, None) => {}
        }
        config = tls(&r, config)?;
        if let Some(timeout) = r.seconds("socket_timeout")? {
            config = config
                .read_timeout(timeout)
                .and_then(|c| c.send_timeout(timeout))
                .map_err(fail)?;
        }
        if let Some(timeout) = r.seconds("socket_connect_timeout")? {
            config = config.connect_timeout(timeout).map_err(fail)?;
        }
        config = dead_peers(&r, config)?;
        if let Some(name) = r.string("client_name")? {
            config = config.client_name(&name);
        }
        if let Some(protocol) = r.integer("protocol", 2, 3)? {
            config = config.protocol(if protocol == 3 {
                Protocol::Resp3
            } else {
                Protocol::Resp2
            });
        }
        let mut pool = PoolConfig::default();
        if let Some(size) = r.integer("max_connections", 1, 100_000)? {
            pool = pool.max_size(size as u32);
        }
        if let Some(timeout) = r.seconds("pool_timeout")? {
            pool = pool.checkout_timeout(timeout);
        }
        Ok(Self {
            config,
            pool,
            decode_responses: r.boolean("decode_responses")?.unwrap_or(false),
            read_from_replicas: r.boolean("read_from_replicas")?.unwrap_or(false),
            cache: cache(&r)?,
        })
    }
}

/// The cache the package makes of redis-py's `cache_config`:
/// `cache_max_entries` (it is on when given), `cache_max_bytes`,
/// `cache_ttl` (seconds), `cache_tracking` (`plain`, `optin`, `bcast`) and
/// `cache_prefixes` (`bcast`'s).
fn cache(r: &Reader<'_, '_>) -> PyResult<Option<CacheConfig>> {
    let Some(entries) = r.integer("cache_max_entries", 1, i64::MAX)? else {
        r.refuse_without(
            &[
                "cache_max_bytes",
                "cache_ttl",
                "cache_tracking",
                "cache_prefixes",
            ],
            "cache_max_entries",
        )?;
        return Ok(None);
    };
    let fail = |e: redwire::ConfigError| config_error(r.py, &e.to_string());
    let mut cache = CacheConfig::default()
        .max_entries(usize::try_from(entries).unwrap_or(usize::MAX))
        .map_err(fail)?;
    if let Some(bytes) = r.integer("cache_max_bytes", 1, i64::MAX)? {
        cache = cache
            .max_bytes(usize::try_from(bytes).unwrap_or(usize::MAX))
            .map_err(fail)?;
    }
    cache = cache.ttl(r.seconds("cache_ttl")?).map_err(fail)?;
    let prefixes: Vec<String> = match r.get("cache_prefixes")? {
        Some(value) => value
            .extract()
            .map_err(|_| invalid(r.py, "cache_prefixes", "a list of str", &value))?,
        None => Vec::new(),
    };
    let tracking = match r.string("cache_tracking")?.as_deref() {
        None | Some("plain") => Tracking::Default,
        Some("optin") => Tracking::OptIn,
        Some("bcast") => Tracking::Broadcast(prefixes.clone()),
        Some(other) => {
            return Err(config_error(
                r.py,
                &format!(
                    "invalid option cache_tracking: expected plain, optin or bcast, got {other:?}"
                ),
            ))
        }
    };
    if !prefixes.is_empty() && !matches!(tracking, Tracking::Broadcast(_)) {
        return Err(config_error(
            r.py,
            "invalid option cache_prefixes: it needs cache_tracking bcast",
        ));
    }
    Ok(Some(cache.tracking(tracking)))
}

/// `tcp_keepalive` (`False`, or `(idle_s, interval_s, count)`) and
/// `tcp_user_timeout` (seconds, or `False`), as the package makes them of
/// redis-py's `socket_keepalive` and `socket_keepalive_options`, and
/// `peer_timeout` (seconds, or `0`/`False`: off); the core's defaults when
/// not given.
fn dead_peers(r: &Reader<'_, '_>, mut config: Config) -> PyResult<Config> {
    let fail = |e: redwire::ConfigError| config_error(r.py, &e.to_string());
    if let Some(value) = r.get("tcp_keepalive")? {
        let rule = "False or (idle seconds, interval seconds, count)";
        let keepalive = if value.is_instance_of::<pyo3::types::PyBool>() && !value.is_truthy()? {
            None
        } else {
            let (idle, interval, count) = value
                .extract::<(f64, f64, u32)>()
                .map_err(|_| invalid(r.py, "tcp_keepalive", rule, &value))?;
            let seconds = |s: f64| {
                Duration::try_from_secs_f64(s)
                    .map_err(|_| invalid(r.py, "tcp_keepalive", rule, &value))
            };
            Some(Keepalive {
                idle: seconds(idle)?,
                interval: seconds(interval)?,
                count,
            })
        };
        config = config.keepalive(keepalive).map_err(fail)?;
    }
    if let Some(timeout) = r.seconds_or_off("tcp_user_timeout")? {
        config = config.user_timeout(timeout).map_err(fail)?;
    }
    if let Some(timeout) = r.seconds_or_off("peer_timeout")? {
        config = config.peer_timeout(timeout).map_err(fail)?;
    }
    Ok(config)
}

/// `sentinels=[(host, port), …]` with `service_name`, `sentinel_role` and
/// the sentinels' credentials; or a `sentinel://` URL's set.
fn sentinel(r: &Reader<'_, '_>, config: Config) -> PyResult<Config> {
    let sentinels = r.addresses("sentinels")?;
    let from_url = match config.endpoint() {
        Endpoint::Sentinel(s) => Some(s.clone()),
        _ => None,
    };
    if sentinels.is_none() && from_url.is_none() {
        r.refuse_without(
            &[
                "service_name",
                "sentinel_role",
                "sentinel_username",
                "sentinel_password",
            ],
            "sentinels=[(host, port), …]",
        )?;
        return Ok(config);
    }
    let mut set = from_url.unwrap_or_else(|| Sentinel::new("mymaster", Role::Master, Vec::new()));
    if let Some(sentinels) = sentinels {
        set.sentinels = sentinels;
    }
    if set.sentinels.is_empty() {
        return Err(config_error(
            r.py,
            "invalid option sentinels: a sentinel:// URL needs sentinels=[(host, port), …]",
        ));
    }
    if let Some(name) = r.string("service_name")? {
        set.master_name = name;
    }
    if let Some(role) = r.get("sentinel_role")? {
        set.role = match role.extract::<String>().as_deref() {
            Ok("master") => Role::Master,
            Ok("replica") => Role::Replica,
            _ => {
                return Err(invalid(
                    r.py,
                    "sentinel_role",
                    "'master' or 'replica'",
                    &role,
                ))
            }
        };
    }
    match (
        r.string("sentinel_username")?,
        r.string("sentinel_password")?,
    ) {
        (user, Some(password)) => set = set.credentials(user.as_deref(), &password),
        (Some(_), None) => {
            return Err(config_error(
                r.py,
                "invalid option sentinel_username: it needs sentinel_password",
            ))
        }
        (None, None) => {}
    }
    Ok(config.sentinel(set))
}

/// `ssl=True` with `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile` and
/// `ssl_cert_reqs` (`"required"`, the default, or `"none"`).
fn tls(r: &Reader<'_, '_>, config: Config) -> PyResult<Config> {
    let wanted = r.boolean("ssl")?.unwrap_or(false) || config.get_tls().is_some();
    if !wanted {
        r.refuse_without(
            &[
                "ssl_ca_certs",
                "ssl_certfile",
                "ssl_keyfile",
                "ssl_cert_reqs",
            ],
            "ssl=True or a rediss:// URL",
        )?;
        return Ok(config);
    }
    let mut tls = config
        .get_tls()
        .cloned()
        .unwrap_or_else(TlsOptions::default);
    if let Some(path) = r.string("ssl_ca_certs")? {
        tls.ca_file = Some(path.into());
    }
    if let Some(path) = r.string("ssl_certfile")? {
        tls.client_cert = Some(path.into());
    }
    if let Some(path) = r.string("ssl_keyfile")? {
        tls.client_key = Some(path.into());
    }
    if let Some(reqs) = r.get("ssl_cert_reqs")? {
        tls.insecure = match reqs.extract::<String>().as_deref() {
            Ok("required") => false,
            Ok("none") => true,
            _ => {
                return Err(invalid(
                    r.py,
                    "ssl_cert_reqs",
                    "'required' or 'none'",
                    &reqs,
                ))
            }
        };
    }
    Ok(config.tls(tls))
}
