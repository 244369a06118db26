//! Connecting through Redis Sentinel: ask the sentinels, connect to the
//! server they name, and verify its `ROLE`.

use std::future::Future;
use std::pin::Pin;

use redwire_sentinel::{Address, Ask, SentinelError, Sentinels};

use crate::config::{Config, Endpoint, Protocol, Role, Sentinel};
use crate::connection::Connection;
use crate::error::Error;
use crate::Frame;

/// A connect future behind a named type: connecting through a sentinel
/// connects to sentinels and servers, so the future types would contain
/// themselves.
type Connecting<'a> = Pin<Box<dyn Future<Output = Result<Connection, Error>> + Send + 'a>>;

fn connect_boxed(config: &Config) -> Connecting<'_> {
    Box::pin(Connection::connect(config))
}

/// Asks sentinels with their own credentials, within the connect timeout.
struct SentinelAsk<'a> {
    sentinel: &'a Sentinel,
    data: &'a Config,
}

impl Ask for SentinelAsk<'_> {
    type Error = Error;

    async fn ask(&self, address: &Address, command: &[&str]) -> Result<Frame, Error> {
        let mut config = Config::default().tcp(&address.host, address.port)?;
        config.connect_timeout = self.data.connect_timeout;
        config.read_timeout = self.data.read_timeout.or(self.data.connect_timeout);
        config.protocol = Protocol::Resp2;
        if let Some(password) = &self.sentinel.password {
            config = match &self.sentinel.username {
                Some(user) => config.user(user, password.expose())?,
                None => config.password(password.expose())?,
            };
        }
        let mut connection = connect_boxed(&config).await?;
        connection.cmd(command).await
    }
}

/// Connects to the server `config`'s sentinels name for its role: the
/// master (`m`), a healthy replica (`s`, tried in order), or the master
/// else a replica (`a`). The server's `ROLE` must match; after a mismatch
/// the sentinels are asked once more.
pub(crate) async fn connect(config: &Config, sentinel: &Sentinel) -> Result<Connection, Error> {
    let sentinels = Sentinels::new(
        sentinel
            .sentinels
            .iter()
            .map(|(host, port)| Address::new(host, *port))
            .collect(),
    );
    let ask = SentinelAsk {
        sentinel,
        data: config,
    };
    let name = sentinel.master_name.as_str();
    let mut last_mismatch = None;
    for _ in 0..2 {
        let candidates = match sentinel.role {
            Role::Master => vec![(sentinels.master(&ask, name).await?, "master")],
            Role::Replica => replicas(&sentinels, &ask, name).await?,
            Role::Any => {
                let mut all = vec![(sentinels.master(&ask, name).await?, "master")];
                all.extend(replicas(&sentinels, &ask, name).await.unwrap_or_default());
                all
            }
        };
        let (mut errors, mut mismatch) = (Vec::new(), None);
        for (address, expected) in candidates {
            match connect_to(config, &address, expected).await {
                Ok(connection) => return Ok(connection),
                Err(e @ Error::Sentinel(SentinelError::RoleMismatch { .. })) => mismatch = Some(e),
                Err(e) => errors.push(e),
            }
        }
        // Only a role mismatch (a failover under way) is worth asking again.
        match mismatch {
            Some(e) => last_mismatch = Some(e),
            None => return Err(Error::NoHosts(errors)),
        }
    }
    Err(last_mismatch.unwrap_or(Error::NoHosts(Vec::new())))
}

async fn replicas(
    sentinels: &Sentinels,
    ask: &SentinelAsk<'_>,
    name: &str,
) -> Result<Vec<(Address, &'static str)>, Error> {
    Ok(sentinels
        .replicas(ask, name)
        .await?
        .into_iter()
        .map(|address| (address, "slave"))
        .collect())
}

/// Connects to `address` with the data node's settings and checks its role.
async fn connect_to(
    config: &Config,
    address: &Address,
    expected: &str,
) -> Result<Connection, Error> {
    let mut data = config.clone();
    data.endpoint = Endpoint::Tcp {
        host: address.host.clone(),
        port: address.port,
    };
    let mut connection = connect_boxed(&data).await?;
    let role = connection.cmd(&["ROLE"]).await?;
    let actual = match &role {
        Frame::Array(items) | Frame::Push(items) => {
            items.first().and_then(Frame::as_bytes).unwrap_or_default()
        }
        _ => b"",
    };
    if actual != expected.as_bytes() {
        return Err(Error::Sentinel(SentinelError::RoleMismatch {
            address: address.to_string(),
            expected: expected.to_owned(),
            actual: String::from_utf8_lossy(actual).into_owned(),
        }));
    }
    Ok(connection)
}
