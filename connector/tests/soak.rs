#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Drill 7, the soak: a client with default options under mixed load
//! through sentinels while a replica restarts every 30 s and the master
//! fails over every 2 minutes. No write every replica acknowledged
//! (`WAIT 2`) is lost, no error reaches a caller once each recovery is over, and the
//! client's memory and file descriptors stay flat.
//!
//! `REDWIRE_SOAK_SECS` sets its length: 45 s by default (in
//! `scripts/test`, a replica restarted every 10 s and a failover every
//! 20 s), 600 s from `scripts/soak` (every 30 s and every 2 minutes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redwire::{Client, Commands, Connection, Frame, Pipeline};
use redwire_testkit::{SentinelSet, Server};

/// How long each kind of fault may surface errors: a replica restarting
/// none (its writes' `WAIT` counts fewer replicas), a failover until the
/// client has followed it.
const RESTART_GRACE: Duration = Duration::from_secs(0);
const FAILOVER_GRACE: Duration = Duration::from_secs(10);

/// What the load saw: errors with when they came, and the last value of
/// each key a replica acknowledged.
#[derive(Default)]
struct Seen {
    errors: Vec<(Duration, String)>,
    acknowledged: HashMap<String, u64>,
    writes: u64,
    reads: u64,
}

/// A task's loop: `SET` its keys with increasing values, each followed by
/// `WAIT 2` in the same pipeline, and read them back: a value older than
/// the last acknowledged one is a lost write. A write counts as
/// acknowledged when both replicas have it: one that only one replica has
/// is lost when the sentinels promote the other (Redis says so: `WAIT`
/// does not make a failover keep every write), and the client cannot
/// prevent that.
async fn load(
    task: usize,
    client: Client,
    started: Instant,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) {
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let key = format!("soak:{task}:{}", n % 100);
        let mut write = Pipeline::new();
        write.cmd(&("SET", &key, n)).cmd(&("WAIT", 2, 200));
        let outcome = match write.query::<(String, i64)>(&client).await {
            Ok((_, replicas)) => {
                let acknowledged = {
                    let mut guard = seen.lock().unwrap();
                    guard.writes += 1;
                    if replicas >= 2 {
                        guard.acknowledged.insert(key.clone(), n);
                    }
                    guard.acknowledged.get(&key).copied()
                };
                client.get::<Option<u64>>(&key).await.map(|read| {
                    if let (Some(read), Some(acknowledged)) = (read, acknowledged) {
                        assert!(
                            read >= acknowledged,
                            "{key}: read {read}, {acknowledged} was acknowledged"
                        );
                    }
                    seen.lock().unwrap().reads += 1;
                })
            }
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            seen.lock()
                .unwrap()
                .errors
                .push((started.elapsed(), e.to_string()));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The resident memory (kB) and open file descriptors of this process.
fn footprint() -> (u64, usize) {
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    (rss, std::fs::read_dir("/proc/self/fd").unwrap().count())
}

async fn role(port: u16) -> Option<String> {
    let config = format!("redis://127.0.0.1:{port}").parse().ok()?;
    let mut connection = Connection::connect(&config).await.ok()?;
    let Ok(Frame::Array(role)) = connection.cmd(&["ROLE"]).await else {
        return None;
    };
    Some(String::from_utf8_lossy(role.first()?.as_bytes()?).into_owned())
}

/// Restarts the server after `last` (in turn) that is a replica now.
async fn restart_a_replica(servers: &mut [&mut Server], last: &mut usize) -> u16 {
    for _ in 0..servers.len() {
        *last = (*last + 1) % servers.len();
        let port = servers[*last].port();
        if role(port).await.as_deref() == Some("slave") {
            servers[*last].restart().unwrap();
            return port;
        }
    }
    panic!("no replica to restart");
}

/// Restarts a replica in the middle of each `restart_every` and fails the
/// master over at the end of each `failover_every` (never together) until
/// `length` after `started`, but for its last [`FAILOVER_GRACE`]: when each
/// fault came, and how long it may surface errors.
async fn inflict(
    set: &mut SentinelSet,
    started: Instant,
    length: Duration,
    restart_every: Duration,
    failover_every: Duration,
) -> Vec<(Duration, Duration)> {
    let sentinel = set.sentinels[0].port();
    // Restarted with the options they were started with, so only servers
    // started as replicas (the first master would come back an empty
    // master, where a real one's configuration was rewritten by the
    // sentinels).
    let mut servers: Vec<&mut Server> = set.replicas.iter_mut().collect();
    let mut faults = Vec::new();
    let (mut next_restart, mut next_failover) = (restart_every / 2, failover_every);
    let mut last = 0;
    while started.elapsed() < length {
        let now = started.elapsed();
        // The last stretch brings no new fault: the load, and the checks
        // after it, meet a recovered client.
        let faulting = now + FAILOVER_GRACE < length;
        if faulting && now >= next_failover {
            let config = format!("redis://127.0.0.1:{sentinel}").parse().unwrap();
            let mut admin = Connection::connect(&config).await.unwrap();
            admin
                .cmd(&("SENTINEL", "FAILOVER", "mymaster"))
                .await
                .unwrap();
            faults.push((now, FAILOVER_GRACE));
            next_failover += failover_every;
        } else if faulting && now >= next_restart {
            let port = restart_a_replica(&mut servers, &mut last).await;
            println!("{:.0} s: replica {port} restarted", now.as_secs_f64());
            faults.push((now, RESTART_GRACE));
            next_restart += restart_every;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    faults
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soak_with_restarts_and_failovers_loses_no_acknowledged_write() {
    let secs = std::env::var("REDWIRE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45u64);
    let length = Duration::from_secs(secs);
    let restart_every = Duration::from_secs((secs / 20).max(10));
    let failover_every = Duration::from_secs((secs / 5).max(20));
    let mut set = SentinelSet::start().unwrap();
    let url = format!(
        "sentinel://{}:m/0?sentinels={}",
        set.name,
        set.sentinel_list()
    );
    let client = Client::connect(url.as_str()).await.unwrap();
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            tokio::spawn(load(
                task,
                client.clone(),
                started,
                stop.clone(),
                seen.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_before, fds_before) = footprint();
    let faults = inflict(&mut set, started, length, restart_every, failover_every).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let (rss_after, fds_after) = footprint();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    // Every acknowledged write is there at the end.
    for (key, acknowledged) in &seen.acknowledged {
        let read: u64 = client.get(key).await.unwrap();
        assert!(
            read >= *acknowledged,
            "{key}: {read}, {acknowledged} was acknowledged"
        );
    }
    // An error only within a fault's grace: none once a recovery is over.
    let outside: Vec<_> = seen
        .errors
        .iter()
        .filter(|(at, _)| {
            !faults
                .iter()
                .any(|(fault, grace)| *at >= *fault && *at <= *fault + *grace)
        })
        .collect();
    let failovers = faults
        .iter()
        .filter(|(_, grace)| *grace == FAILOVER_GRACE)
        .count();
    println!(
        "drill 7 (Rust): {secs} s, {} replica restarts, {failovers} failovers: {} writes ({} \
         acknowledged keys, none lost), {} reads, {} errors, all within a recovery; resident \
         memory {rss_before} -> {rss_after} kB, file descriptors {fds_before} -> {fds_after}",
        faults.len() - failovers,
        seen.writes,
        seen.acknowledged.len(),
        seen.reads,
        seen.errors.len(),
    );
    assert!(outside.is_empty(), "errors after recovery: {outside:?}");
    assert!(failovers >= 1 && seen.acknowledged.len() >= 100);
    assert!(
        rss_after < rss_before + 20_000,
        "{rss_before} -> {rss_after} kB"
    );
    assert!(
        fds_after <= fds_before + 8,
        "{fds_before} -> {fds_after} descriptors"
    );
}
