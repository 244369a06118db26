//! Pools kept per server and credentials, and pools registered by name.

use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

use redwire_pool::{PoolConfig, PoolError};

use crate::config::{Config, Endpoint, Password};
use crate::connection::{endpoint_name, seed_list};
use crate::connector::Connector;
use crate::error::Error;
use crate::pooled::{Pool, PooledConnection};

/// What makes two configurations share connections: `host:port/db[+tls]`
/// (for a sentinel endpoint: the master name, the role and the sentinels),
/// the credentials' identity (the user and a hash of the password, never
/// the password itself; the sentinels' too), the command policy (proxy
/// mode and disabled commands) and the timeouts, which each connection
/// keeps from the configuration it was made with.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    endpoint: String,
    db: u32,
    tls: bool,
    username: Option<String>,
    password_hash: Option<u64>,
    sentinel_credentials: Option<(Option<String>, Option<u64>)>,
    proxy: bool,
    disabled_commands: Vec<String>,
    timeouts: (Option<Duration>, Option<Duration>, Option<Duration>),
}

/// A hash of a password, to tell passwords apart without keeping them.
fn password_hash(password: &Password) -> u64 {
    let mut hasher = DefaultHasher::new();
    password.expose().hash(&mut hasher);
    hasher.finish()
}

impl PoolKey {
    /// The key of `config`.
    pub fn of(config: &Config) -> Self {
        let (endpoint, sentinel_credentials) = match config.endpoint() {
            // The master of one set is not its replica, nor another set's
            // master of the same (often default) name.
            Endpoint::Sentinel(s) => (
                format!(
                    "sentinel {}:{} via {}",
                    s.master_name,
                    s.role.letter(),
                    seed_list(&s.sentinels)
                ),
                Some((s.username.clone(), s.password.as_ref().map(password_hash))),
            ),
            other => (endpoint_name(other), None),
        };
        let mut disabled_commands = config.get_disabled_commands().to_vec();
        disabled_commands.sort_unstable();
        Self {
            endpoint,
            db: config.get_db(),
            tls: config.get_tls().is_some() && matches!(config.endpoint(), Endpoint::Tcp { .. }),
            username: config.get_username().map(str::to_owned),
            password_hash: config.get_password().map(password_hash),
            sentinel_credentials,
            proxy: config.is_proxy(),
            disabled_commands,
            timeouts: config.timeouts(),
        }
    }
}

/// `host:port/db[+tls]`, with the user if any; never the password or its hash.
impl fmt::Display for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.endpoint, self.db)?;
        if self.tls {
            f.write_str("+tls")?;
        }
        if let Some(user) = &self.username {
            write!(f, " as {user}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PoolKey({self})")
    }
}

/// Why a named pool could not be registered or found.
#[derive(Debug)]
#[non_exhaustive]
pub enum NamedPoolError {
    /// A pool is already registered under this name.
    Duplicate(String),
    /// No pool is registered under this name.
    Unknown(String),
    /// The pool could not be made (its size is unusable).
    Pool(PoolError<Error>),
}

impl fmt::Display for NamedPoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Duplicate(name) => write!(f, "a pool named {name:?} is already registered"),
            Self::Unknown(name) => write!(f, "no pool named {name:?} is registered"),
            Self::Pool(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for NamedPoolError {}

/// Pools made on demand, one per [`PoolKey`], all with one [`PoolConfig`];
/// and pools registered by name.
///
/// ```no_run
/// use redwire::{Pools, PoolConfig};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let pools = Pools::new(PoolConfig::default());
/// let mut a = pools.get(&"redis://cache:6379/0".parse()?).await?;
/// pools.register("sessions", "redis://:pw@sessions:6379/2".parse()?, PoolConfig::default().max_size(50))?;
/// let mut b = pools.named("sessions")?.get().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Pools {
    config: PoolConfig,
    keyed: Mutex<HashMap<PoolKey, Pool>>,
    named: Mutex<HashMap<String, Pool>>,
}

impl Pools {
    /// No pools yet; keyed pools will be made with `config`.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            keyed: Mutex::new(HashMap::new()),
            named: Mutex::new(HashMap::new()),
        }
    }

    /// The pool for `config`'s key, made on first use.
    pub fn pool(&self, config: &Config) -> Result<Pool, PoolError<Error>> {
        let key = PoolKey::of(config);
        let mut keyed = self
            .keyed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(pool) = keyed.get(&key) {
            return Ok(pool.clone());
        }
        let pool = Connector::new(config.clone()).pool(self.config.clone())?;
        keyed.insert(key, pool.clone());
        Ok(pool)
    }

    /// Checks a connection out of the pool for `config`'s key.
    pub async fn get(&self, config: &Config) -> Result<PooledConnection, PoolError<Error>> {
        self.pool(config)?.get().await
    }

    /// Retires every connection of `config`'s key (see [`Pool::invalidate`]).
    pub fn invalidate(&self, config: &Config) {
        let keyed = self
            .keyed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(pool) = keyed.get(&PoolKey::of(config)) {
            pool.invalidate();
        }
    }

    /// Registers a pool under `name`.
    pub fn register(
        &self,
        name: &str,
        config: Config,
        pool: PoolConfig,
    ) -> Result<(), NamedPoolError> {
        let mut named = self
            .named
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if named.contains_key(name) {
            return Err(NamedPoolError::Duplicate(name.to_owned()));
        }
        let pool = Connector::new(config)
            .pool(pool)
            .map_err(NamedPoolError::Pool)?;
        named.insert(name.to_owned(), pool);
        Ok(())
    }

    /// The pool registered under `name`.
    pub fn named(&self, name: &str) -> Result<Pool, NamedPoolError> {
        let named = self
            .named
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        named
            .get(name)
            .cloned()
            .ok_or_else(|| NamedPoolError::Unknown(name.to_owned()))
    }
}
