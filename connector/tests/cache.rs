#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Client-side caching against a real server: what is kept, what drops
//! it (another connection's write, the client's own writes, a connection
//! lost, a failover, a slot moved), and the guarantee under load: once a
//! write is acknowledged and the cached client made one more round trip,
//! it reads the new value, and a reader's reads of a counter never go
//! backwards.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redwire::cache::{CacheConfig, CacheStats, Tracking};
use redwire::{Client, ClientOptions, Commands, Config, Connection, Error, Frame, Phase, Pipeline};
use redwire_testkit::{Cluster, SentinelSet, Server, ServerOptions};

fn url(server: &Server) -> String {
    format!("redis://127.0.0.1:{}?protocol=3", server.port())
}

async fn cached(url: &str, cache: CacheConfig) -> Client {
    Client::connect_with(url.parse().unwrap(), ClientOptions::default().cache(cache))
        .await
        .unwrap()
}

/// A connection of its own: another client of the server.
async fn other(server: &Server) -> Connection {
    let config: Config = format!("redis://127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    Connection::connect(&config).await.unwrap()
}

fn stats(client: &Client) -> CacheStats {
    client.cache().unwrap().stats()
}

async fn get(client: &Client, key: &str) -> Option<String> {
    client.get(key).await.unwrap()
}

#[tokio::test]
async fn reads_are_kept_until_another_connection_writes_their_key() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let client = cached(&url(&server), CacheConfig::default()).await;
    let mut writer = other(&server).await;
    writer.cmd(&("SET", "a", "1")).await.unwrap();
    writer.cmd(&("HSET", "h", "f", "x")).await.unwrap();
    assert_eq!(get(&client, "a").await.as_deref(), Some("1"));
    assert_eq!(get(&client, "a").await.as_deref(), Some("1"));
    let fields: HashMap<String, String> = client.hgetall("h").await.unwrap();
    let again: HashMap<String, String> = client.hgetall("h").await.unwrap();
    assert_eq!(fields, again);
    let kept = stats(&client);
    assert_eq!((kept.hits, kept.entries), (2, 2), "{kept:?}");
    // A write elsewhere: the invalidation comes before the reply to the
    // next request on the tracking connection.
    writer.cmd(&("SET", "a", "2")).await.unwrap();
    client.ping::<()>().await.unwrap();
    assert_eq!(get(&client, "a").await.as_deref(), Some("2"));
    let after = stats(&client);
    assert_eq!(after.hits, 2, "{after:?}");
    assert!(after.invalidations >= 1, "{after:?}");
    // What is not kept: reads that depend on the clock, pipelines.
    client.ttl::<i64>("a").await.unwrap();
    let _: (Option<String>, Option<String>) = Pipeline::new()
        .get("a")
        .get("a")
        .query(&client)
        .await
        .unwrap();
    assert_eq!(stats(&client).hits, after.hits);
    // The keys of a multi-key read: any of them changing drops it.
    let both: Vec<Option<String>> = client.mget(&["a", "b"]).await.unwrap();
    assert_eq!(both, [Some("2".to_owned()), None]);
    writer.cmd(&("SET", "b", "3")).await.unwrap();
    client.ping::<()>().await.unwrap();
    let both: Vec<Option<String>> = client.mget(&["a", "b"]).await.unwrap();
    assert_eq!(both, [Some("2".to_owned()), Some("3".to_owned())]);
    // A flush drops everything (a `FLUSHALL` elsewhere is a null
    // invalidation).
    writer.cmd(&["FLUSHALL"]).await.unwrap();
    client.ping::<()>().await.unwrap();
    assert_eq!(get(&client, "a").await, None);
    assert_eq!(stats(&client).entries, 1);
}

/// Redis sends the invalidation of a client's own write after the write's
/// reply: the client drops the keys itself, whichever way the write went
/// (shared connection, pipeline, transaction, blocking command, a script
/// writing a key it made up). On two threads: the caller may run before
/// the connection's task reads what came after the reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_writes_are_seen_by_the_next_read_whatever_way_they_went() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let client = cached(&url(&server), CacheConfig::default()).await;
    for i in 0..200i64 {
        let _: Option<i64> = client.get("n").await.unwrap();
        let _: Option<i64> = client.get("n").await.unwrap(); // kept
        match i % 7 {
            0 => client.set::<()>("n", i).await.unwrap(),
            5 => {
                // The key is not among the script's arguments.
                let script = "redis.call('SET', 'n' .. ARGV[1], ARGV[2])";
                let _: Option<()> = Pipeline::new()
                    .cmd(&("EVAL", script, 0, "", i))
                    .query::<(Option<()>,)>(&client)
                    .await
                    .unwrap()
                    .0;
            }
            6 => {
                // A write in the transaction's body, outside `exec`.
                client
                    .transaction("watched", |mut tx| async move {
                        tx.set::<()>("n", i).await?;
                        tx.exec::<((),)>(Pipeline::new().set("other", i)).await
                    })
                    .await
                    .unwrap();
            }
            1 => {
                let ((), (), n): ((), (), i64) = Pipeline::new()
                    .set("other", 1)
                    .set("n", i)
                    .get("n")
                    .query(&client)
                    .await
                    .unwrap();
                assert_eq!(n, i);
            }
            2 => {
                let _: ((),) = Pipeline::new()
                    .atomic()
                    .set("n", i)
                    .query(&client)
                    .await
                    .unwrap();
            }
            3 => {
                client
                    .transaction("n", |tx| async move {
                        tx.exec::<((),)>(Pipeline::new().set("n", i)).await
                    })
                    .await
                    .unwrap();
            }
            _ => {
                client.rpush::<()>("list", i).await.unwrap();
                let _: Vec<i64> = client.lrange("list", 0, -1).await.unwrap();
                let _: Option<(String, i64)> = client.blpop("list", 1.0).await.unwrap();
                let left: Vec<i64> = client.lrange("list", 0, -1).await.unwrap();
                assert!(left.is_empty(), "a blocking pop left {left:?} read");
                client.set::<()>("n", i).await.unwrap();
            }
        }
        let read: Option<i64> = client.get("n").await.unwrap();
        assert_eq!(read, Some(i), "a read after the client's own write {i}");
    }
    assert!(stats(&client).hits >= 200);
}

#[tokio::test]
async fn a_lost_connection_drops_what_it_tracked() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let client = cached(&url(&server), CacheConfig::default()).await;
    let mut admin = other(&server).await;
    admin.cmd(&("SET", "a", "1")).await.unwrap();
    assert_eq!(get(&client, "a").await.as_deref(), Some("1"));
    let id = client.client_id::<i64>().await.unwrap();
    assert_eq!(stats(&client).entries, 1);
    // Killed, the tracking connection tells nothing more: what it covered
    // goes (a write after the kill is never announced to it).
    admin.cmd(&("CLIENT", "KILL", "ID", id)).await.unwrap();
    admin.cmd(&("SET", "a", "2")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while stats(&client).flushes == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stats(&client).entries, 0);
    assert_eq!(get(&client, "a").await.as_deref(), Some("2"));
    // `close` lets the connection go: what it covered goes at once.
    assert_eq!(get(&client, "a").await.as_deref(), Some("2"));
    assert_eq!(stats(&client).entries, 1);
    client.close();
    assert_eq!(stats(&client).entries, 0);
}

#[tokio::test]
async fn the_cache_is_refused_where_it_cannot_be_kept_up_to_date() {
    let server = Server::start(ServerOptions::default()).unwrap();
    // RESP2: the invalidations would not come on the connection.
    let resp2: Config = format!("redis://127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    let options = ClientOptions::default().cache(CacheConfig::default());
    let refused = Client::lazy(resp2, options.clone()).unwrap_err();
    assert!(refused.to_string().contains("protocol"), "{refused}");
    // A user not allowed `CLIENT TRACKING`: refused at connect, by phase.
    let server =
        Server::start(ServerOptions::default().config("user", "reader on >pw ~* +@all -client"))
            .unwrap();
    let config: Config = format!("redis://reader:pw@127.0.0.1:{}?protocol=3", server.port())
        .parse()
        .unwrap();
    match Client::connect_with(config, options).await {
        Err(Error::Refused { phase, .. }) => assert_eq!(phase, Phase::Tracking),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn opt_in_and_broadcast_modes_keep_what_they_are_told_of() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut writer = other(&server).await;
    // OPTIN: each kept read goes after `CLIENT CACHING YES`; the server
    // tracks those only.
    let optin = cached(
        &url(&server),
        CacheConfig::default().tracking(Tracking::OptIn),
    )
    .await;
    writer.cmd(&("SET", "a", "1")).await.unwrap();
    assert_eq!(get(&optin, "a").await.as_deref(), Some("1"));
    assert_eq!(get(&optin, "a").await.as_deref(), Some("1"));
    assert_eq!(stats(&optin).hits, 1);
    writer.cmd(&("SET", "a", "2")).await.unwrap();
    optin.ping::<()>().await.unwrap();
    assert_eq!(get(&optin, "a").await.as_deref(), Some("2"));
    // BCAST with a prefix: keys under it are kept, others never.
    let bcast = cached(
        &url(&server),
        CacheConfig::default().tracking(Tracking::Broadcast(vec!["user:".into()])),
    )
    .await;
    writer.cmd(&("SET", "user:1", "ada")).await.unwrap();
    // The server tells of every change under the prefix, this one too:
    // a read begun before it came would not be kept.
    bcast.ping::<()>().await.unwrap();
    for _ in 0..2 {
        assert_eq!(get(&bcast, "user:1").await.as_deref(), Some("ada"));
        assert_eq!(get(&bcast, "a").await.as_deref(), Some("2"));
    }
    assert_eq!((stats(&bcast).hits, stats(&bcast).entries), (1, 1));
    writer.cmd(&("SET", "user:1", "bob")).await.unwrap();
    bcast.ping::<()>().await.unwrap();
    assert_eq!(get(&bcast, "user:1").await.as_deref(), Some("bob"));
}

#[tokio::test]
async fn the_cache_stays_within_its_bounds_under_a_flood_of_keys() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let config = CacheConfig::default()
        .max_entries(500)
        .unwrap()
        .max_bytes(64 * 1024)
        .unwrap();
    let client = cached(&url(&server), config).await;
    let value = "v".repeat(100);
    let mut writes = Pipeline::new();
    for i in 0..5000 {
        writes.set(format!("k:{i}"), &value);
    }
    let _: Vec<()> = writes.query(&client).await.unwrap();
    let mut most = 0;
    for i in 0..5000 {
        assert_eq!(
            get(&client, &format!("k:{i}")).await.as_deref(),
            Some(&value[..])
        );
        most = most.max(stats(&client).bytes);
    }
    let end = stats(&client);
    assert!(most <= 64 * 1024, "{most} bytes kept");
    assert!(end.entries <= 500 && end.evictions > 4000, "{end:?}");
}

/// Checks, while `faults` runs, the guarantee the cache gives: writers on
/// connections of their own (a [`Client`] without cache, to follow a
/// failover too) set counters over `keys` keys; readers through `client`
/// check that no counter goes backwards; after each acknowledged write and
/// one round trip of `client`, it reads that write or a later one. The
/// writers pause while `faults` holds the flag it is given up.
async fn property<F, Fut>(
    client: &Client,
    writer: &Client,
    keys: usize,
    run_for: Duration,
    faults: F,
) -> u64
where
    F: FnOnce(Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let quiet = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    // Readers: successive reads of a key never go backwards.
    for reader in 0..4u64 {
        let (client, stop) = (client.clone(), stop.clone());
        tasks.spawn(async move {
            let mut seen = vec![0i64; keys];
            let mut i = reader as usize;
            while !stop.load(Ordering::Relaxed) {
                // Spread over the keys, each reader its own order.
                i = i.wrapping_add(7919);
                let key = i % keys;
                match client.get::<Option<i64>>(format!("c:{key}")).await {
                    Ok(value) => {
                        let value = value.unwrap_or(0);
                        assert!(
                            value >= seen[key],
                            "c:{key} went back from {} to {value}",
                            seen[key]
                        );
                        seen[key] = value;
                    }
                    // A fault: the read may fail, never lie.
                    Err(e) => assert!(!matches!(e, Error::Server(_)), "{e}"),
                }
            }
        });
    }
    // Writers: each owns its keys, so the value acknowledged is the newest.
    for w in 0..2usize {
        let (client, writer, stop, checked, quiet) = (
            client.clone(),
            writer.clone(),
            stop.clone(),
            checked.clone(),
            quiet.clone(),
        );
        tasks.spawn(async move {
            let mut values = vec![0i64; keys];
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                if quiet.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                let key = (n * 2 + w) % keys;
                n += 1;
                values[key] += 1;
                if writer
                    .set::<()>(format!("c:{key}"), values[key])
                    .await
                    .is_err()
                {
                    // Maybe applied: what is acknowledged later decides.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                if client.ping::<()>().await.is_err() {
                    continue;
                }
                match client.get::<Option<i64>>(format!("c:{key}")).await {
                    Ok(read) => {
                        assert!(
                            read.unwrap_or(0) >= values[key],
                            "c:{key}: read {read:?} after {} was acknowledged",
                            values[key]
                        );
                        checked.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => assert!(!matches!(e, Error::Server(_)), "{e}"),
                }
            }
        });
    }
    // Readers keep the keys cached: most reads are hits.
    tokio::time::sleep(run_for / 4).await;
    faults(quiet).await;
    tokio::time::sleep(run_for).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    checked.load(Ordering::Relaxed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_and_a_killed_connection_no_read_is_stale_or_goes_back() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let client = cached(&url(&server), CacheConfig::default()).await;
    let writer = Client::connect(url(&server).as_str()).await.unwrap();
    let mut admin = other(&server).await;
    let killed = client.clone();
    let faults = |_| async move {
        for _ in 0..3 {
            let id = killed.client_id::<i64>().await.unwrap();
            admin.cmd(&("CLIENT", "KILL", "ID", id)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let checked = property(&client, &writer, 2000, Duration::from_secs(3), faults).await;
    let end = stats(&client);
    println!("{checked} acknowledged writes read back; {end:?}");
    assert!(checked > 100, "{checked}");
    assert!(end.hits > end.misses, "{end:?}");
    assert!(end.flushes >= 3, "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_a_sentinel_failover_no_read_is_stale_or_goes_back() {
    let set = SentinelSet::start().unwrap();
    let url = format!(
        "sentinel://mymaster:m?sentinels={}&protocol=3",
        set.sentinel_list()
    );
    let client = cached(&url, CacheConfig::default()).await;
    let writer = Client::connect(url.as_str()).await.unwrap();
    let sentinel = set.sentinels[0].port();
    let replicas = set.replicas.len();
    let (follower, fencer) = (client.clone(), writer.clone());
    let faults = |quiet: Arc<AtomicBool>| async move {
        // Replication is asynchronous: a failover loses the writes its new
        // master had not received, for any client. Writes pause, and are
        // on every replica (the sentinels may promote either), before it.
        quiet.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let ((), acknowledged): ((), usize) = Pipeline::new()
            .set("fence", 1)
            .cmd(&("WAIT", replicas, 5000))
            .query(&fencer)
            .await
            .unwrap();
        assert_eq!(acknowledged, replicas);
        let config: Config = format!("redis://127.0.0.1:{sentinel}").parse().unwrap();
        let mut connection = Connection::connect(&config).await.unwrap();
        connection
            .cmd(&["SENTINEL", "FAILOVER", "mymaster"])
            .await
            .unwrap();
        // Until the cached client reads from the new master.
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let role = Pipeline::new()
                .cmd(&["ROLE"])
                .query::<(Frame,)>(&follower)
                .await;
            if let Ok((Frame::Array(role),)) = role {
                if role.first().and_then(Frame::as_bytes) == Some(&b"master"[..])
                    && stats(&follower).flushes > 0
                {
                    quiet.store(false, Ordering::Relaxed);
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the cached client never followed the failover");
    };
    let checked = property(&client, &writer, 500, Duration::from_secs(3), faults).await;
    println!(
        "{checked} acknowledged writes read back; {:?}",
        stats(&client)
    );
    assert!(checked > 100, "{checked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_each_node_tracks_its_keys_and_a_moved_slot_drops_them() {
    let cluster = Cluster::start().unwrap();
    let url = format!("redis+cluster://{}?protocol=3", cluster.seeds());
    let client = cached(&url, CacheConfig::default()).await;
    let writer = Client::connect(url.as_str()).await.unwrap();
    // Keys on every node, each kept.
    let keys: Vec<String> = (0..30).map(|i| format!("k:{i}")).collect();
    for key in &keys {
        writer.set::<()>(key, 1).await.unwrap();
        assert_eq!(get(&client, key).await.as_deref(), Some("1"));
        assert_eq!(get(&client, key).await.as_deref(), Some("1"));
    }
    assert_eq!(stats(&client).hits, 30);
    // Written elsewhere: each node's connection tells of its own keys.
    for key in &keys {
        writer.set::<()>(key, 2).await.unwrap();
    }
    let nodes = client.reach_cluster().await.unwrap().unwrap().masters();
    let cluster_handle = client.cluster().unwrap();
    for node in &nodes {
        cluster_handle.cmd_on(node, &["PING"]).await.unwrap();
    }
    for key in &keys {
        assert_eq!(get(&client, key).await.as_deref(), Some("2"), "{key}");
    }
    let kept = stats(&client);
    assert_eq!(kept.entries, 30, "{kept:?}");
    // A `MOVED` for a slot drops its keys: the node that told of them no
    // longer does. `{k:0}:absent` (`k:0`'s slot) is read as missing and
    // kept; once the slot moved, a write of it on the new owner is never
    // announced to this client (it never read it there), and the old owner
    // has nothing of it to delete.
    assert_eq!(get(&client, "{k:0}:absent").await, None);
    let slot = redwire::key_slot(b"k:0");
    let (owner, target) = slot_owner_and_other(cluster_handle, slot, &nodes).await;
    migrate(&owner, &target, slot).await;
    writer.set::<()>("{k:0}:absent", 4).await.unwrap();
    // The client still sends `k:0`'s write to the old owner: `MOVED`.
    let redirections = cluster_handle.redirections();
    client.set::<()>("k:0", 3).await.unwrap();
    assert!(cluster_handle.redirections() > redirections);
    assert_eq!(get(&client, "k:0").await.as_deref(), Some("3"));
    assert_eq!(get(&client, "{k:0}:absent").await.as_deref(), Some("4"));
}

/// The master serving `slot`, and another master.
async fn slot_owner_and_other(
    cluster: &redwire::Cluster,
    slot: u16,
    nodes: &[String],
) -> (String, String) {
    for node in nodes {
        let keys: i64 = match cluster
            .cmd_on(node, &("CLUSTER", "COUNTKEYSINSLOT", slot))
            .await
        {
            Ok(Frame::Integer(n)) => n,
            other => panic!("{other:?}"),
        };
        if keys > 0 {
            let other = nodes.iter().find(|n| *n != node).unwrap().clone();
            return (node.clone(), other);
        }
    }
    panic!("no node holds slot {slot}");
}

/// Moves `slot` and its keys from `from` to `to` (`host:port` each).
async fn migrate(from: &str, to: &str, slot: u16) {
    let connect = |node: &str| {
        let config: Config = format!("redis://{node}").parse().unwrap();
        async move { Connection::connect(&config).await.unwrap() }
    };
    let (mut source, mut target) = (connect(from).await, connect(to).await);
    let id = |frame: Frame| String::from_utf8(frame.as_bytes().unwrap().to_vec()).unwrap();
    let source_id = id(source.cmd(&["CLUSTER", "MYID"]).await.unwrap());
    let target_id = id(target.cmd(&["CLUSTER", "MYID"]).await.unwrap());
    target
        .cmd(&("CLUSTER", "SETSLOT", slot, "IMPORTING", &source_id))
        .await
        .unwrap();
    source
        .cmd(&("CLUSTER", "SETSLOT", slot, "MIGRATING", &target_id))
        .await
        .unwrap();
    let (host, port) = to.rsplit_once(':').unwrap();
    loop {
        let Frame::Array(keys) = source
            .cmd(&("CLUSTER", "GETKEYSINSLOT", slot, 100))
            .await
            .unwrap()
        else {
            panic!("GETKEYSINSLOT");
        };
        if keys.is_empty() {
            break;
        }
        let mut migrate: Vec<Vec<u8>> = ["MIGRATE", host, port, "", "0", "5000", "KEYS"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        migrate.extend(keys.iter().map(|k| k.as_bytes().unwrap().to_vec()));
        source.cmd(&migrate).await.unwrap();
    }
    for mut node in [target, source] {
        node.cmd(&("CLUSTER", "SETSLOT", slot, "NODE", &target_id))
            .await
            .unwrap();
    }
}

/// Reads one command (an array of bulk strings) from `stream`, `None` once
/// it closed.
async fn next_command(
    stream: &mut tokio::net::TcpStream,
    buffer: &mut Vec<u8>,
) -> Option<Vec<String>> {
    use tokio::io::AsyncReadExt;
    loop {
        let mut args = Vec::new();
        args_of(buffer, &mut args).map(|used| buffer.drain(..used));
        if !args.is_empty() {
            return Some(args);
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// The arguments of the first whole command in `bytes`, and its length.
fn args_of(bytes: &[u8], args: &mut Vec<String>) -> Option<usize> {
    let line = |at: usize| -> Option<(usize, usize)> {
        let end = at + bytes.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
        let n = std::str::from_utf8(bytes.get(at + 1..end)?)
            .ok()?
            .parse()
            .ok()?;
        Some((n, end + 2))
    };
    let (count, mut at) = line(0)?;
    let mut found = Vec::new();
    for _ in 0..count {
        let (len, start) = line(at)?;
        found.push(String::from_utf8_lossy(bytes.get(start..start + len)?).into_owned());
        at = start + len + 2;
    }
    *args = found;
    Some(at)
}

/// A script's writes may name keys not among its arguments: its reply is
/// handed back only once the invalidations the server sends after it are
/// applied. A fake server sends the invalidation 200 ms after the reply
/// (a real one sends it right after, where a caller may still run first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_s_reply_waits_for_the_invalidations_of_its_writes() {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buffer = Vec::new();
        let mut written = false;
        while let Some(command) = next_command(&mut stream, &mut buffer).await {
            let reply: &[u8] = match command[0].to_ascii_uppercase().as_str() {
                "HELLO" => b"%1\r\n$5\r\nproto\r\n:3\r\n",
                "CLIENT" | "EVAL" => b"+OK\r\n",
                "PING" => b"+PONG\r\n",
                "GET" if written => b"$1\r\nv\r\n",
                "GET" => b"_\r\n",
                _ => b"-ERR unexpected\r\n",
            };
            stream.write_all(reply).await.unwrap();
            if command[0] == "EVAL" {
                tokio::time::sleep(Duration::from_millis(200)).await;
                written = true;
                stream
                    .write_all(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nmade\r\n")
                    .await
                    .unwrap();
            }
        }
    });
    let client = cached(
        &format!("redis://127.0.0.1:{port}?protocol=3"),
        CacheConfig::default(),
    )
    .await;
    assert_eq!(get(&client, "made").await, None);
    assert_eq!(get(&client, "made").await, None);
    assert_eq!(stats(&client).hits, 1);
    let script = "redis.call('SET', 'made', 'v')";
    let (reply,): (String,) = Pipeline::new()
        .cmd(&("EVAL", script, 0))
        .query(&client)
        .await
        .unwrap();
    assert_eq!(reply, "OK");
    assert_eq!(get(&client, "made").await.as_deref(), Some("v"));
}

/// The batch path the bindings use: a hit is answered inside `add`; a
/// miss, an OPTIN read and a write go in the batch, each answered with
/// its own reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_read_through_the_cache_as_single_requests_do() {
    use std::sync::Mutex;
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut writer = other(&server).await;
    writer.cmd(&("SET", "a", "1")).await.unwrap();
    for tracking in [Tracking::Default, Tracking::OptIn] {
        let cache = redwire::cache::Cache::new(CacheConfig::default().tracking(tracking));
        let shared =
            redwire::SharedConnection::with_cache(url(&server).parse().unwrap(), cache.clone())
                .unwrap();
        let replies: Arc<Mutex<Vec<Result<Frame, Error>>>> = Arc::default();
        let batch = |commands: &[&[&str]]| {
            let (done, mut batch) = (
                tokio::sync::mpsc::unbounded_channel(),
                redwire::Batch::default(),
            );
            for command in commands {
                let (sender, replies) = (done.0.clone(), replies.clone());
                let answered = shared.add(&mut batch, *command, move |reply| {
                    replies.lock().unwrap().push(reply);
                    sender.send(()).ok();
                });
                assert!(answered.is_ok());
            }
            (batch, done.1)
        };
        let send =
            |(batch, mut done): (redwire::Batch, tokio::sync::mpsc::UnboundedReceiver<()>), n| {
                shared.submit_batch(batch);
                async move {
                    for _ in 0..n {
                        done.recv().await.unwrap();
                    }
                }
            };
        let value = |reply: &Result<Frame, Error>| {
            reply
                .as_ref()
                .unwrap()
                .as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        };
        send(batch(&[&["GET", "a"]]), 1).await;
        // Kept: answered inside `add`, nothing to send.
        let (hit, _) = batch(&[&["GET", "a"]]);
        assert!(hit.is_empty());
        assert_eq!(cache.stats().hits, 1);
        // A write and a read after it in one batch: the write drops the key
        // before the read is planned, so the read goes to the server.
        send(batch(&[&["SET", "a", "2"], &["GET", "a"]]), 2).await;
        let got: Vec<Option<String>> = replies.lock().unwrap().iter().map(value).collect();
        assert_eq!(
            got,
            [
                Some("1".into()),
                Some("1".into()),
                Some("OK".into()),
                Some("2".into())
            ]
        );
        replies.lock().unwrap().clear();
        writer.cmd(&("SET", "a", "1")).await.unwrap();
        shared.cmd(&["PING"]).await.unwrap();
    }
}

/// A failover the sentinel watcher tells (the pool invalidated) lets the
/// cache go before the next hit, while the old connection still answers.
#[tokio::test]
async fn a_failover_known_drops_the_cache_before_the_next_hit() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let config: Config = url(&server).parse().unwrap();
    let pool = redwire::Connector::new(config.clone())
        .pool(redwire::PoolConfig::default())
        .unwrap();
    let cache = redwire::cache::Cache::new(CacheConfig::default());
    let shared = redwire::SharedConnection::with_cache(config, cache.clone()).unwrap();
    shared.follow(&pool);
    shared.cmd(&["GET", "a"]).await.unwrap();
    shared.cmd(&["GET", "a"]).await.unwrap();
    assert_eq!(cache.stats().hits, 1);
    pool.invalidate();
    shared.cmd(&["GET", "a"]).await.unwrap();
    let stats = cache.stats();
    // Not a hit: the old connection was let go (and the cache with it)
    // before the read was planned.
    assert_eq!(stats.hits, 1, "{stats:?}");
    assert!(stats.flushes >= 1, "{stats:?}");
}

/// A binding's sync client drives its runtime only while a request waits:
/// an invalidation that came while nothing ran is read before a hit is
/// answered, with no round trip between (redis-py reads its socket first
/// too).
#[test]
fn a_runtime_driven_only_by_requests_reads_invalidations_before_a_hit() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let writer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut other = writer.block_on(other(&server));
    let client = runtime.block_on(cached(&url(&server), CacheConfig::default()));
    for i in 0..20 {
        writer
            .block_on(other.cmd(&("MSET", "k", i, "j", i)))
            .unwrap();
        // Nothing runs the client's runtime meanwhile.
        std::thread::sleep(Duration::from_millis(20));
        for _ in 0..2 {
            // Two lookups at once: the second does not skip the first's
            // reading of the connection.
            let (k, j): (Result<Option<i64>, Error>, Result<Option<i64>, Error>) =
                runtime.block_on(async { tokio::join!(client.get("k"), client.get("j")) });
            assert_eq!((k.unwrap(), j.unwrap()), (Some(i), Some(i)));
        }
    }
    assert!(stats(&client).hits >= 20);
}
