//! A sentinel topology: one master, replicas, and sentinels watching them.

use std::time::{Duration, Instant};

use crate::probe::ask;
use crate::server::{AclUser, Server, ServerOptions, StartError};

/// How long the sentinels may take to find every replica and each other.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// One master, `replicas` replicas and `sentinels` sentinels (quorum 2, 1 s
/// down-after, 3 s failover timeout) on free loopback ports, started and
/// waited on until every sentinel sees every replica linked to the master
/// and every other sentinel. Every process is stopped when dropped.
#[derive(Debug)]
pub struct SentinelSet {
    /// The master name the sentinels monitor.
    pub name: String,
    /// The master at start.
    pub master: Server,
    /// Its replicas.
    pub replicas: Vec<Server>,
    /// The sentinels.
    pub sentinels: Vec<Server>,
    /// The credentials, for a set started with [`SentinelSet::start_secured`].
    pub credentials: Option<SetCredentials>,
}

/// The credentials of a secured set: the data nodes' password, separate
/// from the sentinels' ACL user.
#[derive(Debug, Clone)]
pub struct SetCredentials {
    /// The password the master and replicas require (`requirepass`, and
    /// `masterauth` between them; the sentinels use it as `auth-pass`).
    pub data_password: String,
    /// The only user the sentinels accept (their default user is off); the
    /// sentinels also use it with each other (`sentinel-user`/`sentinel-pass`).
    pub sentinel_user: AclUser,
}

impl SentinelSet {
    /// Starts `mymaster` with 2 replicas and 3 sentinels.
    pub fn start() -> Result<Self, StartError> {
        Self::start_with("mymaster", 2, 3)
    }

    /// Starts a set of the given shape.
    pub fn start_with(name: &str, replicas: usize, sentinels: usize) -> Result<Self, StartError> {
        Self::start_shaped(name, replicas, sentinels, None)
    }

    /// Starts `mymaster` with 2 replicas and 3 sentinels, the data nodes
    /// requiring a password and the sentinels an ACL user (see
    /// [`SetCredentials`]).
    pub fn start_secured(credentials: SetCredentials) -> Result<Self, StartError> {
        Self::start_shaped("mymaster", 2, 3, Some(credentials))
    }

    fn start_shaped(
        name: &str,
        replicas: usize,
        sentinels: usize,
        credentials: Option<SetCredentials>,
    ) -> Result<Self, StartError> {
        let data = || match &credentials {
            Some(c) => ServerOptions::default()
                .password(&c.data_password)
                .config("masterauth", &c.data_password),
            None => ServerOptions::default(),
        };
        let master = Server::start(data())?;
        let replicas = (0..replicas)
            .map(|_| Server::start(data().replica_of(master.port())))
            .collect::<Result<Vec<_>, _>>()?;
        let quorum = u32::try_from(sentinels / 2 + 1).unwrap_or(2);
        let sentinel = || {
            let options = ServerOptions::default().sentinel_of(name, master.port(), quorum);
            match &credentials {
                Some(c) => {
                    let user = &c.sentinel_user;
                    options
                        .acl_user(&user.name, &user.password)
                        .config("user", "default off")
                        .config("sentinel", &format!("auth-pass {name} {}", c.data_password))
                        .config("sentinel", &format!("sentinel-user {}", user.name))
                        .config("sentinel", &format!("sentinel-pass {}", user.password))
                }
                None => options,
            }
        };
        let sentinels = (0..sentinels)
            .map(|_| Server::start(sentinel()))
            .collect::<Result<Vec<_>, _>>()?;
        let set = Self {
            name: name.to_owned(),
            master,
            replicas,
            sentinels,
            credentials,
        };
        set.wait_until_discovered()?;
        Ok(set)
    }

    /// The sentinels' `(host, port)` addresses.
    pub fn sentinel_addresses(&self) -> Vec<(String, u16)> {
        self.sentinels
            .iter()
            .map(|s| (s.host().to_owned(), s.port()))
            .collect()
    }

    /// `host:port,host:port,…` of the sentinels, as a `sentinel://` DSN's
    /// `sentinels=` takes them.
    pub fn sentinel_list(&self) -> String {
        crate::server::address_list(&self.sentinel_addresses())
    }

    fn wait_until_discovered(&self) -> Result<(), StartError> {
        let started = Instant::now();
        let replicas = self.replicas.len().to_string();
        let others = (self.sentinels.len() - 1).to_string();
        let user = self.credentials.as_ref().map(|c| {
            (
                c.sentinel_user.name.as_str(),
                c.sentinel_user.password.as_str(),
            )
        });
        loop {
            let discovered = self.sentinels.iter().all(|sentinel| {
                let fields = ask(sentinel.port(), user, &["SENTINEL", "MASTER", &self.name])
                    .unwrap_or_default();
                let linked = ask(sentinel.port(), user, &["SENTINEL", "REPLICAS", &self.name])
                    .unwrap_or_default()
                    .windows(2)
                    .filter(|pair| pair[0] == "master-link-status" && pair[1] == "ok")
                    .count();
                field(&fields, "num-slaves") == Some(replicas.as_str())
                    && field(&fields, "num-other-sentinels") == Some(others.as_str())
                    && linked == self.replicas.len()
            });
            if discovered {
                return Ok(());
            }
            if started.elapsed() > DISCOVERY_TIMEOUT {
                return Err(StartError::Failed(format!(
                    "sentinels did not discover {replicas} replicas and {others} other sentinels within {DISCOVERY_TIMEOUT:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The value after `name` in a flat name/value reply.
fn field<'a>(fields: &'a [String], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .position(|f| f == name)
        .and_then(|at| fields.get(at + 1))
        .map(String::as_str)
}
