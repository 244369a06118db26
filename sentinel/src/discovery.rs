//! Asking sentinels for the master and the healthy replicas.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;

use redwire_resp::Frame;

use crate::error::SentinelError;

/// A server's loopback or network address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Address {
    /// An address.
    pub fn new(host: &str, port: u16) -> Self {
        Self {
            host: host.to_owned(),
            port,
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// How discovery asks one sentinel one command; the connector implements it
/// (connecting with the sentinel credentials, within its timeouts).
pub trait Ask: Send + Sync {
    /// Why asking failed.
    type Error: fmt::Display + Send;

    /// Runs `command` on the sentinel at `address` and returns its reply.
    fn ask(
        &self,
        address: &Address,
        command: &[&str],
    ) -> impl Future<Output = Result<Frame, Self::Error>> + Send;
}

/// The sentinels of a set, in the order they are tried.
#[derive(Debug)]
pub struct Sentinels {
    addresses: Mutex<Vec<Address>>,
}

impl Sentinels {
    /// Sentinels to try in this order.
    pub fn new(addresses: Vec<Address>) -> Self {
        Self {
            addresses: Mutex::new(addresses),
        }
    }

    /// The sentinels in the order they will be tried now.
    pub fn addresses(&self) -> Vec<Address> {
        self.addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The master's address, from the first sentinel that answers (which
    /// moves to the front). An unknown name is
    /// [`SentinelError::InvalidMasterName`].
    pub async fn master<A: Ask>(
        &self,
        ask: &A,
        name: &str,
    ) -> Result<Address, SentinelError<A::Error>> {
        let reply = self
            .first_answer(ask, &["SENTINEL", "get-master-addr-by-name", name])
            .await?;
        match &reply {
            Frame::Array(items) if items.len() == 2 => {
                let host = text(&items[0]).ok_or_else(|| unexpected(&reply))?;
                let port = text(&items[1])
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| unexpected(&reply))?;
                Ok(Address { host, port })
            }
            frame if frame.is_null() => Err(SentinelError::InvalidMasterName(name.to_owned())),
            _ => Err(unexpected(&reply)),
        }
    }

    /// The healthy replicas (master link up; not `s_down`, `o_down` or
    /// `disconnected`): those on this host (loopback addresses and
    /// `localhost`) first, as lua-resty-redis-connector orders them, then the
    /// others, each group in the order the sentinel lists them.
    pub async fn replicas<A: Ask>(
        &self,
        ask: &A,
        name: &str,
    ) -> Result<Vec<Address>, SentinelError<A::Error>> {
        let reply = self
            .first_answer(ask, &["SENTINEL", "replicas", name])
            .await?;
        if reply.is_error() {
            return Err(SentinelError::InvalidMasterName(name.to_owned()));
        }
        let Frame::Array(replicas) = &reply else {
            return Err(unexpected(&reply));
        };
        let mut healthy: Vec<Address> = replicas
            .iter()
            .filter_map(|replica| {
                let fields = fields(replica);
                let flags = field(&fields, "flags").unwrap_or_default();
                let down = flags
                    .split(',')
                    .any(|f| matches!(f, "s_down" | "o_down" | "disconnected"));
                let linked = field(&fields, "master-link-status") == Some("ok");
                let port = field(&fields, "port")?.parse().ok()?;
                let ip = field(&fields, "ip")?;
                (linked && !down).then(|| Address::new(ip, port))
            })
            .collect();
        if healthy.is_empty() {
            return Err(SentinelError::NoReplicas(name.to_owned()));
        }
        healthy.sort_by_key(|address| !is_local(&address.host));
        Ok(healthy)
    }

    /// Adds the sentinels a sentinel knows of (`SENTINEL sentinels`) after
    /// the known ones.
    pub async fn refresh<A: Ask>(
        &self,
        ask: &A,
        name: &str,
    ) -> Result<(), SentinelError<A::Error>> {
        let reply = self
            .first_answer(ask, &["SENTINEL", "sentinels", name])
            .await?;
        let Frame::Array(others) = &reply else {
            return Err(unexpected(&reply));
        };
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for other in others {
            let fields = fields(other);
            if let (Some(ip), Some(Ok(port))) =
                (field(&fields, "ip"), field(&fields, "port").map(str::parse))
            {
                let address = Address::new(ip, port);
                if !addresses.contains(&address) {
                    addresses.push(address);
                }
            }
        }
        Ok(())
    }

    /// Moves `address` to the front (adding it if it is new), so it is
    /// asked first: a sentinel that answered, or that announced a failover
    /// and so knows the new master.
    ///
    /// ```
    /// use redwire_sentinel::{Address, Sentinels};
    ///
    /// let (a, b) = (Address::new("10.0.0.1", 26379), Address::new("10.0.0.2", 26379));
    /// let sentinels = Sentinels::new(vec![a.clone(), b.clone()]);
    /// sentinels.prefer(&b);
    /// assert_eq!(sentinels.addresses(), [b.clone(), a.clone()]);
    /// let c = Address::new("10.0.0.3", 26379);
    /// sentinels.prefer(&c);
    /// assert_eq!(sentinels.addresses(), [c, b, a]);
    /// ```
    pub fn prefer(&self, address: &Address) {
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(at) = addresses.iter().position(|a| a == address) {
            addresses.remove(at);
        }
        addresses.insert(0, address.clone());
    }

    /// The reply of the first sentinel that answers, moved to the front.
    async fn first_answer<A: Ask>(
        &self,
        ask: &A,
        command: &[&str],
    ) -> Result<Frame, SentinelError<A::Error>> {
        let mut errors = Vec::new();
        for address in self.addresses() {
            match ask.ask(&address, command).await {
                Ok(reply) => {
                    self.prefer(&address);
                    return Ok(reply);
                }
                Err(e) => errors.push((address.to_string(), e)),
            }
        }
        Err(SentinelError::NoSentinel(errors))
    }
}

/// Whether `host` is this machine: a loopback address or `localhost`.
fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn text(frame: &Frame) -> Option<String> {
    frame
        .as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

fn unexpected<E>(reply: &Frame) -> SentinelError<E> {
    SentinelError::UnexpectedReply(format!("a {}", reply.type_name()))
}

/// A sentinel's flat name/value array (or RESP3 map) as pairs.
fn fields(frame: &Frame) -> Vec<(String, String)> {
    match frame {
        Frame::Array(items) => items
            .chunks_exact(2)
            .filter_map(|pair| Some((text(&pair[0])?, text(&pair[1])?)))
            .collect(),
        Frame::Map(pairs) => pairs
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
            .collect(),
        _ => Vec::new(),
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every command with one reply.
    struct Answer(Frame);

    impl Ask for Answer {
        type Error = String;

        async fn ask(&self, _: &Address, _: &[&str]) -> Result<Frame, String> {
            Ok(self.0.clone())
        }
    }

    fn replica(ip: &str, port: &str, flags: &str, link: &str) -> Frame {
        let pairs = [
            ("ip", ip),
            ("port", port),
            ("flags", flags),
            ("master-link-status", link),
        ];
        Frame::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| {
                    [
                        Frame::BulkString(k.as_bytes().to_vec().into()),
                        Frame::BulkString(v.as_bytes().to_vec().into()),
                    ]
                })
                .collect(),
        )
    }

    #[test]
    fn healthy_replicas_on_this_host_come_first() {
        let reply = Frame::Array(vec![
            replica("10.0.0.5", "6379", "slave", "ok"),
            replica("10.0.0.6", "6379", "slave,s_down", "ok"),
            replica("127.0.0.1", "6380", "slave", "ok"),
            replica("10.0.0.7", "6379", "slave", "err"),
            replica("::1", "6381", "slave", "ok"),
            replica("10.0.0.8", "6379", "slave,disconnected", "ok"),
            replica("10.0.0.9", "6379", "slave", "ok"),
        ]);
        let sentinels = Sentinels::new(vec![Address::new("10.0.0.1", 26379)]);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let found = runtime
            .block_on(sentinels.replicas(&Answer(reply), "mymaster"))
            .unwrap();
        assert_eq!(
            found,
            [
                Address::new("127.0.0.1", 6380),
                Address::new("::1", 6381),
                Address::new("10.0.0.5", 6379),
                Address::new("10.0.0.9", 6379),
            ]
        );
    }
}
