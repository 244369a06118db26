//! A Redis Cluster: cluster-mode servers joined by `redis-cli --cluster create`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::probe::ask;
use crate::server::{Server, ServerOptions, StartError};

/// How long the nodes may take to agree that the cluster is whole.
const FORM_TIMEOUT: Duration = Duration::from_secs(60);

/// A cluster on free loopback ports, formed and waited on until every node
/// reports `cluster_state:ok`, all 16384 slots served, every node
/// connected, and every replica online (synced) in every node's
/// `CLUSTER SHARDS`. Every process is stopped when dropped.
///
/// `redis-cli` (Debian's `redis-tools`, a dependency of `redis-server`)
/// forms it and chooses which nodes are masters; ask the cluster.
#[derive(Debug)]
pub struct Cluster {
    /// Every node, masters and replicas.
    pub nodes: Vec<Server>,
    /// How many replicas the cluster was formed with.
    replicas: usize,
}

impl Cluster {
    /// Starts 3 masters with one replica each.
    pub fn start() -> Result<Self, StartError> {
        Self::start_with(3, 1)
    }

    /// Starts `masters` masters with `replicas` replicas each.
    pub fn start_with(masters: usize, replicas: usize) -> Result<Self, StartError> {
        let nodes = (0..masters * (replicas + 1))
            .map(|_| Server::start(ServerOptions::default().cluster_node()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut create = Command::new(cli());
        create.arg("--cluster").arg("create");
        for node in &nodes {
            create.arg(format!("{}:{}", node.host(), node.port()));
        }
        let output = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => StartError::NotInstalled(cli()),
                _ => StartError::Io(e),
            })?;
        if !output.status.success() {
            return Err(StartError::Failed(format!(
                "redis-cli --cluster create: {}",
                String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .join(" | ")
            )));
        }
        let cluster = Self {
            nodes,
            replicas: masters * replicas,
        };
        cluster.wait_until_ok(FORM_TIMEOUT)?;
        Ok(cluster)
    }

    /// The nodes' `(host, port)` addresses.
    pub fn addresses(&self) -> Vec<(String, u16)> {
        self.nodes
            .iter()
            .map(|n| (n.host().to_owned(), n.port()))
            .collect()
    }

    /// `host:port,host:port,…` of every node, for a seed list.
    pub fn seeds(&self) -> String {
        crate::server::address_list(&self.addresses())
    }

    /// Waits until every running node reports `cluster_state:ok` with all
    /// slots served, sees every other running node connected and not
    /// failing, and sees every replica online (while no node was killed;
    /// after a kill, a promoted replica's shard has none).
    pub fn wait_until_ok(&self, within: Duration) -> Result<(), StartError> {
        let started = Instant::now();
        let running: Vec<&Server> = self.nodes.iter().filter(|n| n.is_running()).collect();
        let replicas = if running.len() == self.nodes.len() {
            self.replicas
        } else {
            0
        };
        loop {
            let ok = running.iter().all(|node| {
                let info = ask(node.port(), None, &["CLUSTER", "INFO"])
                    .unwrap_or_default()
                    .concat();
                let nodes = ask(node.port(), None, &["CLUSTER", "NODES"])
                    .unwrap_or_default()
                    .concat();
                let healthy = nodes
                    .lines()
                    .filter(|line| {
                        line.contains(" connected")
                            && !line.contains("fail")
                            && !line.contains("handshake")
                    })
                    .count();
                let shards = ask(node.port(), None, &["CLUSTER", "SHARDS"]).unwrap_or_default();
                info.contains("cluster_state:ok")
                    && info.contains("cluster_slots_ok:16384")
                    && healthy >= running.len()
                    && online_replicas(&shards) >= replicas
            });
            if ok {
                return Ok(());
            }
            if started.elapsed() > within {
                return Err(StartError::Failed(format!(
                    "the cluster was not ok within {within:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Replicas that `CLUSTER SHARDS` (flattened) shows online: a `role
/// replica` pair followed, in the same node, by `health online`.
fn online_replicas(shards: &[String]) -> usize {
    shards
        .windows(6)
        .filter(|w| {
            w[0] == "role"
                && w[1] == "replica"
                && w[2..]
                    .windows(2)
                    .any(|p| p[0] == "health" && p[1] == "online")
        })
        .count()
}

fn cli() -> String {
    std::env::var("REDIS_CLI").unwrap_or_else(|_| "redis-cli".to_owned())
}
