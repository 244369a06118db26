//! Pools kept per server and credentials, and pools registered by name.

use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use redwire_pool::{PoolConfig, PoolError};

use super::{Pool, PooledConnection};
use crate::config::{seed_list, Config, Endpoint, Password, Protocol};
use crate::discovery::Connector;
use crate::error::Error;

/// What makes two configurations share connections: everything that makes
/// two connections differ on the server's side.
///
/// - `host:port/db[+tls]` (for a sentinel endpoint: the master name, the
///   role and the sentinels);
/// - the TLS options (CA, client certificate and key, server name,
///   verification) and the credentials, by hash: the user, the password
///   (never the password itself), the sentinels' credentials;
/// - the protocol, the client name, the local bind address, proxy mode
///   and read-only (replica) mode.
///
/// Settings the server never sees are not part of it: the send and read
/// timeouts and the refused commands are applied to a connection at each
/// checkout ([`Pools::get`]), so configurations that differ only in them
/// share one pool. (The connect timeout is the first configuration's.)
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PoolKey {
    endpoint: String,
    db: u32,
    tls: Option<u64>,
    username: Option<String>,
    password_hash: Option<u64>,
    sentinel_credentials: Option<(Option<String>, Option<u64>)>,
    protocol: Protocol,
    client_name: Option<String>,
    bind: Option<IpAddr>,
    proxy: bool,
    readonly: bool,
}

/// A hash of a value, to tell values apart without keeping them.
fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A hash of a password.
fn password_hash(password: &Password) -> u64 {
    hash_of(&password.expose())
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
            other => (other.to_string(), None),
        };
        Self {
            endpoint,
            db: config.db,
            tls: config
                .tls
                .as_ref()
                .filter(|_| !matches!(config.endpoint(), Endpoint::Unix(_)))
                .map(hash_of),
            username: config.username.clone(),
            password_hash: config.password.as_ref().map(password_hash),
            sentinel_credentials,
            protocol: config.protocol,
            client_name: config.client_name.clone(),
            bind: config.bind,
            proxy: config.proxy,
            readonly: config.readonly,
        }
    }
}

/// `host:port/db[+tls]`, with the user if any; never the password or its hash.
impl fmt::Display for PoolKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.endpoint, self.db)?;
        if self.tls.is_some() {
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

/// How many keyed pools [`Pools`] keeps when none is said.
pub const DEFAULT_MAX_POOLS: usize = 64;

/// Pools made on demand, one per [`PoolKey`], all with one [`PoolConfig`];
/// and pools registered by name.
///
/// At most [`max_pools`](Self::max_pools) keyed pools are kept (default
/// [`DEFAULT_MAX_POOLS`]): making one more drops the pool used least
/// recently, preferring one with no connection checked out. A dropped
/// pool's idle connections close; connections still checked out from it
/// work on and close when released.
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
    /// How many keyed pools are kept at most.
    limit: usize,
    keyed: Mutex<Keyed>,
    named: Mutex<HashMap<String, Pool>>,
}

/// The keyed pools, each with when it was last used (a counter).
#[derive(Debug, Default)]
struct Keyed {
    pools: HashMap<PoolKey, (Pool, u64)>,
    uses: u64,
}

impl Pools {
    /// No pools yet; keyed pools will be made with `config`.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            limit: DEFAULT_MAX_POOLS,
            keyed: Mutex::default(),
            named: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps at most this many keyed pools (at least 1). Default
    /// [`DEFAULT_MAX_POOLS`].
    #[must_use]
    pub fn max_pools(self, max_pools: usize) -> Self {
        Self {
            limit: max_pools.max(1),
            ..self
        }
    }

    /// The pool for `config`'s key, made on first use. Its connections
    /// carry the client-side settings of the configuration that made it:
    /// [`get`](Self::get) applies `config`'s.
    pub fn pool(&self, config: &Config) -> Result<Pool, PoolError<Error>> {
        let key = PoolKey::of(config);
        let mut keyed = self.keyed.lock().unwrap_or_else(PoisonError::into_inner);
        keyed.uses += 1;
        let now = keyed.uses;
        if let Some((pool, used)) = keyed.pools.get_mut(&key) {
            *used = now;
            return Ok(pool.clone());
        }
        let pool = Connector::new(config.clone()).pool(self.config.clone())?;
        if keyed.pools.len() >= self.limit {
            let oldest = keyed
                .pools
                .iter()
                .min_by_key(|(_, (pool, used))| (pool.stats().in_use > 0, *used))
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                tracing::debug!(pool = %oldest, "too many keyed pools: dropping the least used");
                keyed.pools.remove(&oldest);
            }
        }
        keyed.pools.insert(key, (pool.clone(), now));
        Ok(pool)
    }

    /// How many keyed pools are kept now.
    pub fn len(&self) -> usize {
        self.keyed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pools
            .len()
    }

    /// Whether no keyed pool is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks a connection out of the pool for `config`'s key, with
    /// `config`'s client-side settings (timeouts, refused commands).
    pub async fn get(&self, config: &Config) -> Result<PooledConnection, PoolError<Error>> {
        let mut connection = self.pool(config)?.get().await?;
        connection.configure(config);
        Ok(connection)
    }

    /// Retires every connection of `config`'s key (see [`Pool::invalidate`]).
    pub fn invalidate(&self, config: &Config) {
        let keyed = self.keyed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((pool, _)) = keyed.pools.get(&PoolKey::of(config)) {
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
        let mut named = self.named.lock().unwrap_or_else(PoisonError::into_inner);
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
        let named = self.named.lock().unwrap_or_else(PoisonError::into_inner);
        named
            .get(name)
            .cloned()
            .ok_or_else(|| NamedPoolError::Unknown(name.to_owned()))
    }
}
