#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! `sentinel://` against a real set: 1 master, 2 replicas, 3 sentinels.

mod support;

use std::time::{Duration, Instant};

use redwire::{Config, Connection, Connector, Error, Frame, PoolConfig};
use redwire_testkit::{AclUser, SentinelSet, Server, ServerOptions, SetCredentials};

fn dsn(set: &SentinelSet, master: &str, role: &str, extra: &str) -> Config {
    // A secured set's credentials: the data password in the authority, the
    // sentinel user in the query.
    let (data, sentinel) = match &set.credentials {
        Some(c) => (
            format!(":{}@", c.data_password),
            format!(
                "&sentinel_username={}&sentinel_password={}",
                c.sentinel_user.name, c.sentinel_user.password
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "sentinel://{data}{master}:{role}/0?sentinels={}{sentinel}{extra}",
        set.sentinel_list()
    )
    .parse()
    .unwrap()
}

fn secured() -> SentinelSet {
    SentinelSet::start_secured(SetCredentials {
        data_password: "data-secret".to_owned(),
        sentinel_user: AclUser {
            name: "watcher".to_owned(),
            password: "sentinel-secret".to_owned(),
        },
    })
    .unwrap()
}

/// `user:password@` for the sentinels of `set`, if it is secured.
fn sentinel_auth(set: &SentinelSet) -> String {
    set.credentials
        .as_ref()
        .map(|c| format!("{}:{}@", c.sentinel_user.name, c.sentinel_user.password))
        .unwrap_or_default()
}

async fn role_and_port(connection: &mut Connection) -> (String, u16) {
    let Frame::Array(role) = connection.cmd(&["ROLE"]).await.unwrap() else {
        panic!("ROLE")
    };
    let info = connection.cmd(&["CONFIG", "GET", "port"]).await.unwrap();
    let Frame::Array(pair) = info else {
        panic!("CONFIG GET")
    };
    let port = String::from_utf8_lossy(pair[1].as_bytes().unwrap())
        .parse()
        .unwrap();
    (
        String::from_utf8_lossy(role[0].as_bytes().unwrap()).into_owned(),
        port,
    )
}

/// Connects to `set`'s server of `role` (m, s or a): the connection, and
/// the role and port the server reports.
async fn reach(set: &SentinelSet, role: &str) -> (Connection, (String, u16)) {
    let mut connection = Connector::new(dsn(set, "mymaster", role, ""))
        .connect()
        .await
        .unwrap();
    let reported = role_and_port(&mut connection).await;
    (connection, reported)
}

#[tokio::test]
async fn master_replica_and_any_roles_reach_the_right_servers() {
    let set = SentinelSet::start().unwrap();
    let (mut master, reported) = reach(&set, "m").await;
    assert_eq!(reported, ("master".to_owned(), set.master.port()));
    master
        .cmd(&("SET", "through-sentinel", "yes"))
        .await
        .unwrap();

    let (_, (role, port)) = reach(&set, "s").await;
    assert_eq!(role, "slave");
    assert!(set.replicas.iter().any(|r| r.port() == port));

    assert_eq!(reach(&set, "a").await.1 .0, "master");
}

#[tokio::test]
async fn a_write_refused_by_a_replica_asked_for_keeps_the_shared_connection() {
    let set = SentinelSet::start().unwrap();
    let replica = redwire::SharedConnection::new(dsn(&set, "mymaster", "s", ""));
    replica.cmd(&["PING"]).await.unwrap();
    let refused = replica.cmd(&("SET", "k", "v")).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Server(e) if e.code() == "READONLY"),
        "{refused}"
    );
    replica.cmd(&["PING"]).await.unwrap();
    // The replica asked for is still the one: not found again.
    assert_eq!(replica.connections_started(), 1);
}

#[tokio::test]
async fn discovery_errors_name_what_went_wrong() {
    let set = SentinelSet::start_with("mymaster", 1, 1).unwrap();
    let err = Connector::new(dsn(&set, "nosuch", "m", ""))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Sentinel(_)), "{err}");
    assert_eq!(err.to_string(), r#"invalid master name "nosuch""#);

    let dead = support::dead_port();
    let config: Config = format!("sentinel://mymaster:m?sentinels=127.0.0.1:{dead}")
        .parse()
        .unwrap();
    let err = Connector::new(config.clone()).connect().await.unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "no sentinel reachable: 127.0.0.1:{dead}: connect failed"
        )),
        "{err}"
    );

    // A dead sentinel listed first is skipped.
    let mut live = set.sentinel_addresses();
    live.insert(0, ("127.0.0.1".to_owned(), dead));
    let list: Vec<String> = live.iter().map(|(h, p)| format!("{h}:{p}")).collect();
    let config: Config = format!("sentinel://mymaster:m?sentinels={}", list.join(","))
        .parse()
        .unwrap();
    assert!(Connector::new(config.clone()).connect().await.is_ok());
}

/// Runs one command on a sentinel or server port (outside the client under
/// test), authenticated by `auth` (`""` or `user:password@`).
async fn admin(port: u16, auth: &str, command: &[&str]) -> Frame {
    let config: Config = format!("redis://{auth}127.0.0.1:{port}").parse().unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    connection.cmd(command).await.unwrap()
}

/// How a drill takes the master away.
enum Trigger {
    /// `SENTINEL FAILOVER mymaster`.
    FailoverCommand,
    /// Killing the master process.
    KillMaster,
}

/// A writer loops through a pooled client while the master goes away: it
/// must resume on the new master within 10 s, every write a replica
/// acknowledged (`WAIT 1 100`) before must be readable there, and once the
/// pool knows of the switch (it was invalidated) nothing is written to the
/// old master. Returns the time to recover.
async fn drill(trigger: Trigger) -> Duration {
    let mut set = SentinelSet::start().unwrap();
    let old_master = set.master.port();
    let pool = Connector::new(dsn(&set, "mymaster", "m", ""))
        .pool(PoolConfig::default().checkout_timeout(Duration::from_secs(1)))
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut failover_at = None;
    let mut recovered_after = None;
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut i = 0u32;
    let mut writes_after_recovery = 0;
    // Writes about to be sent to the old master after the switch was known.
    let mut demoted_writes = 0;
    while writes_after_recovery < 100 && Instant::now() < deadline {
        if i == 100 && failover_at.is_none() {
            match trigger {
                Trigger::FailoverCommand => {
                    admin(
                        set.sentinels[0].port(),
                        "",
                        &["SENTINEL", "FAILOVER", "mymaster"],
                    )
                    .await;
                }
                Trigger::KillMaster => set.master.kill_process(),
            }
            failover_at = Some(Instant::now());
        }
        let attempt = async {
            let switch_known = pool.stats().invalidations > 0;
            let mut connection = pool.get().await.map_err(|e| e.to_string())?;
            let (_, port) = role_and_port(&mut connection).await;
            if switch_known && port == old_master {
                demoted_writes += 1;
            }
            connection
                .cmd(&("SET", format!("w:{i}"), i))
                .await
                .map_err(|e| e.to_string())?;
            let Frame::Integer(replicas) = connection
                .cmd(&("WAIT", 1, 100))
                .await
                .map_err(|e| e.to_string())?
            else {
                return Err("WAIT".to_owned());
            };
            Ok::<_, String>((port, replicas))
        };
        match attempt.await {
            Ok((port, replicas)) => {
                // Writes acknowledged by a replica before the failover must survive it.
                if replicas >= 1 && failover_at.is_none() {
                    acknowledged.push(i);
                }
                if let (Some(at), None) = (failover_at, recovered_after) {
                    if port != old_master {
                        recovered_after = Some(at.elapsed());
                    }
                }
                if recovered_after.is_some() {
                    writes_after_recovery += 1;
                }
                i += 1;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let recovered_after = recovered_after.expect("the writer never reached a new master");
    // The writer may recover first: it asks the sentinel that led the
    // failover, while the one the watcher listens to may learn of it only
    // from the leader's next hello (sent every 2 s).
    let announced = Instant::now() + Duration::from_secs(10);
    while pool.stats().invalidations == 0 && Instant::now() < announced {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        pool.stats().invalidations >= 1,
        "the watcher never saw +switch-master"
    );
    assert_eq!(
        demoted_writes, 0,
        "writes sent to the demoted master after the switch was known"
    );
    assert!(
        recovered_after <= Duration::from_secs(10),
        "{recovered_after:?}"
    );
    // Every acknowledged write is on the new master.
    let mut connection = pool.get().await.unwrap();
    for key in &acknowledged {
        let value = connection.cmd(&("GET", format!("w:{key}"))).await.unwrap();
        assert_eq!(
            value.as_bytes(),
            Some(key.to_string().as_bytes()),
            "w:{key} lost"
        );
    }
    assert_eq!(
        acknowledged.len(),
        100,
        "writes acknowledged before the failover"
    );
    recovered_after
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_writer_follows_a_sentinel_failover_command() {
    let took = drill(Trigger::FailoverCommand).await;
    println!("recovered on the new master {took:?} after SENTINEL FAILOVER");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_writer_follows_the_master_being_killed() {
    let took = drill(Trigger::KillMaster).await;
    println!("recovered on the new master {took:?} after the master was killed");
}

#[tokio::test]
async fn a_master_without_replicas_has_none_available() {
    let set = SentinelSet::start_with("mymaster", 0, 1).unwrap();
    let err = Connector::new(dsn(&set, "mymaster", "s", ""))
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), r#"no replicas available for "mymaster""#);
    // Role "any" still reaches the master.
    assert_eq!(reach(&set, "a").await.1 .0, "master");
}

#[tokio::test]
async fn sentinel_acl_credentials_are_separate_from_the_data_nodes() {
    let set = secured();
    let (_, reported) = reach(&set, "m").await;
    assert_eq!(reported, ("master".to_owned(), set.master.port()));
    assert_eq!(reach(&set, "s").await.1 .0, "slave");

    let list = set.sentinel_list();
    let refused = |credentials: &str, query: &str| {
        let config: Config = format!("sentinel://{credentials}mymaster:m?sentinels={list}{query}")
            .parse()
            .unwrap();
        async move {
            Connector::new(config.clone())
                .connect()
                .await
                .unwrap_err()
                .to_string()
        }
    };
    // A wrong sentinel password: every sentinel refuses it, each named.
    let err = refused(
        ":data-secret@",
        "&sentinel_username=watcher&sentinel_password=bad-pass-123",
    )
    .await;
    assert!(err.starts_with("no sentinel reachable"), "{err}");
    for (_, port) in set.sentinel_addresses() {
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    }
    assert_eq!(err.matches("WRONGPASS").count(), 3, "{err}");
    assert!(!err.contains("bad-pass-123"), "the password leaked: {err}");
    // No sentinel credentials: the sentinels' default user is off.
    let err = refused(":data-secret@", "").await;
    assert!(err.starts_with("no sentinel reachable"), "{err}");
    // The sentinel password is not the data nodes' one.
    let err = refused(
        ":sentinel-secret@",
        "&sentinel_username=watcher&sentinel_password=sentinel-secret",
    )
    .await;
    assert!(err.contains("WRONGPASS"), "{err}");
    assert!(
        !err.contains("sentinel-secret"),
        "the password leaked: {err}"
    );
}

/// Connections on `port` as `INFO stats` counts them.
async fn connections_received(port: u16) -> i64 {
    let info = admin(port, "", &["INFO", "stats"]).await;
    let text = String::from_utf8_lossy(info.as_bytes().unwrap()).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix("total_connections_received:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_connector_keeps_the_sentinel_order_and_the_sentinels_it_learned() {
    let mut set = SentinelSet::start().unwrap();
    // A real server that is no sentinel, listed first: asking it fails.
    let impostor = Server::start(ServerOptions::default()).unwrap();
    let first = set.sentinels[0].port();
    let config: Config = format!(
        "sentinel://mymaster:m?sentinels=127.0.0.1:{},127.0.0.1:{first}",
        impostor.port()
    )
    .parse()
    .unwrap();
    let connector = Connector::new(config);
    let before = connections_received(impostor.port()).await;
    connector.connect().await.unwrap();
    // The sentinel that answered is first; the other two were learned.
    let order = connector.sentinels().unwrap();
    assert_eq!(order[0], ("127.0.0.1".to_owned(), first));
    assert_eq!(order.len(), 4, "{order:?}");
    for (_, port) in set.sentinel_addresses() {
        assert!(order.contains(&("127.0.0.1".to_owned(), port)), "{order:?}");
    }
    // Later connects, and clones, ask the sentinel that answered first.
    connector.connect().await.unwrap();
    connector.clone().connect().await.unwrap();
    // The first connect asked the impostor once; the admin call is one more.
    assert_eq!(connections_received(impostor.port()).await - before, 2);

    // With both configured sentinels gone, the learned ones still answer.
    set.sentinels.remove(0).stop();
    drop(impostor);
    let mut connection = connector.connect().await.unwrap();
    assert_eq!(
        role_and_port(&mut connection).await,
        ("master".to_owned(), set.master.port())
    );
}

/// Whether a client on the sentinel at `port` is subscribed (the watcher).
async fn has_subscriber(set: &SentinelSet, port: u16) -> bool {
    let config: Config = format!("redis://{}127.0.0.1:{port}", sentinel_auth(set))
        .parse()
        .unwrap();
    let Ok(mut connection) = Connection::connect(&config).await else {
        return false;
    };
    let Ok(list) = connection.cmd(&["CLIENT", "LIST"]).await else {
        return false;
    };
    String::from_utf8_lossy(list.as_bytes().unwrap())
        .lines()
        // Subscribed to one channel (its last command may be a PING).
        .any(|client| client.contains(" sub=1 "))
}

/// Polls `condition` every 50 ms for up to `limit`; the time it took.
async fn within<F: std::future::Future<Output = bool>>(
    limit: Duration,
    mut condition: impl FnMut() -> F,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_moves_to_another_sentinel_when_it_loses_one() {
    let mut set = secured();
    let old_master = set.master.port();
    // Idle connections are reused unchecked for a minute: only the watcher
    // can retire them in time.
    let pool = Connector::new(dsn(&set, "mymaster", "m", ""))
        .pool(PoolConfig::default().check_after(Duration::from_secs(60)))
        .unwrap();
    drop(pool.get().await.unwrap());
    let first = set.sentinels[0].port();
    assert!(
        within(Duration::from_secs(5), || has_subscriber(&set, first))
            .await
            .is_some(),
        "the watcher never subscribed on the first sentinel"
    );
    set.sentinels.remove(0).stop();
    let others: Vec<u16> = set.sentinels.iter().map(Server::port).collect();
    let moved = within(Duration::from_secs(10), || async {
        has_subscriber(&set, others[0]).await || has_subscriber(&set, others[1]).await
    })
    .await;
    assert!(
        moved.is_some(),
        "the watcher did not move to another sentinel"
    );

    let auth = sentinel_auth(&set);
    admin(others[0], &auth, &["SENTINEL", "FAILOVER", "mymaster"]).await;
    let noticed = within(Duration::from_secs(10), || async {
        pool.stats().invalidations >= 1
    })
    .await;
    assert!(noticed.is_some(), "the failover was not noticed");
    let mut connection = pool.get().await.unwrap();
    let (role, port) = role_and_port(&mut connection).await;
    assert_eq!(role, "master");
    assert_ne!(port, old_master);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_leaves_a_sentinel_that_went_silent() {
    let set = SentinelSet::start().unwrap();
    let pool = Connector::new(dsn(&set, "mymaster", "m", "&peer_timeout=500"))
        .pool(PoolConfig::default())
        .unwrap();
    drop(pool.get().await.unwrap());
    let first = set.sentinels[0].port();
    assert!(
        within(Duration::from_secs(5), || has_subscriber(&set, first))
            .await
            .is_some(),
        "the watcher never subscribed on the first sentinel"
    );
    // A healthy sentinel is kept through several of the watcher's PINGs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        has_subscriber(&set, first).await,
        "the watcher left a healthy sentinel"
    );
    // Stopped, its socket open: the watcher hears nothing, not even a close.
    let _paused = set.sentinels[0].pause(Duration::from_secs(30)).unwrap();
    let others: Vec<u16> = set.sentinels[1..].iter().map(Server::port).collect();
    let moved = within(Duration::from_secs(10), || async {
        has_subscriber(&set, others[0]).await || has_subscriber(&set, others[1]).await
    })
    .await;
    let moved = moved.expect("the watcher stayed with a silent sentinel");
    // Quiet for the peer timeout, then a PING unanswered as long: 1 to 3 s.
    assert!(moved < Duration::from_secs(4), "{moved:?}");
    let auth = sentinel_auth(&set);
    admin(others[0], &auth, &["SENTINEL", "FAILOVER", "mymaster"]).await;
    let noticed = within(Duration::from_secs(10), || async {
        pool.stats().invalidations >= 1
    })
    .await;
    assert!(noticed.is_some(), "the failover was not noticed");
}

/// A pool whose sentinel is `127.0.0.1:port`, with its failover watcher.
fn watched_pool(port: u16) -> redwire::Pool {
    let config: Config = format!("sentinel://mymaster:m?sentinels=127.0.0.1:{port}")
        .parse()
        .unwrap();
    Connector::new(config).pool(PoolConfig::default()).unwrap()
}

#[tokio::test]
async fn the_watcher_backs_off_when_its_subscription_is_refused() {
    // A server whose default user may not SUBSCRIBE, as a sentinel.
    let server = Server::start(ServerOptions::default()).unwrap();
    admin(
        server.port(),
        "",
        &["ACL", "SETUSER", "default", "-subscribe"],
    )
    .await;
    let before = connections_received(server.port()).await;
    let pool = watched_pool(server.port());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tries = connections_received(server.port()).await - before - 1;
    drop(pool);
    // 100 ms doubling (with jitter) makes 4 to 7 tries in 3 s.
    assert!((2..=12).contains(&tries), "{tries} connections in 3 s");
}

#[tokio::test]
async fn the_watcher_backs_off_when_its_sentinel_drops_it_at_once() {
    // A sentinel that confirms the subscription, then closes: what a real
    // one does not, so a scripted one.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut request = [0u8; 256];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut request).await;
            let _ = tokio::io::AsyncWriteExt::write_all(
                &mut stream,
                b"*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n",
            )
            .await;
        }
    });
    let pool = watched_pool(port);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tries = accepted.load(std::sync::atomic::Ordering::Relaxed);
    drop(pool);
    server.abort();
    assert!((2..=12).contains(&tries), "{tries} connections in 3 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_connection_follows_a_failover_to_the_new_master() {
    let set = SentinelSet::start().unwrap();
    let shared = redwire::SharedConnection::new(dsn(&set, "mymaster", "m", ""));
    shared.cmd(&("SET", "before", 1)).await.unwrap();
    admin(
        set.sentinels[0].port(),
        "",
        &["SENTINEL", "FAILOVER", "mymaster"],
    )
    .await;
    // Writes fail while the master is demoted (READONLY), then go to the
    // new master: the connection to the old one is not kept.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failed = 0;
    loop {
        match shared.cmd(&("SET", "after", 2)).await {
            Ok(_) => break,
            Err(e) => {
                assert!(Instant::now() < deadline, "writes never resumed: {e}");
                failed += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    let Frame::Array(role) = shared.cmd(&["ROLE"]).await.unwrap() else {
        panic!("ROLE")
    };
    assert_eq!(role[0].as_bytes(), Some(&b"master"[..]));
    println!("{failed} writes failed during the failover");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_and_its_subscriber_follow_a_failover() {
    use futures_util::StreamExt;
    use redwire::{Client, Commands};

    let set = SentinelSet::start().unwrap();
    let client = Client::connect(dsn(&set, "mymaster", "m", ""))
        .await
        .unwrap();
    let mut subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe("news").await.unwrap();
    client.publish::<i64>("news", "before").await.unwrap();
    let before = subscriber.next().await.unwrap().unwrap();
    assert_eq!(&before.payload[..], b"before");
    admin(
        set.sentinels[0].port(),
        "",
        &["SENTINEL", "FAILOVER", "mymaster"],
    )
    .await;
    // Published on the new master (once writes go there), heard by the
    // subscriber (through the old master's replication, or subscribed
    // again on the new one).
    let deadline = Instant::now() + Duration::from_secs(30);
    let old = set.master.port();
    loop {
        assert!(Instant::now() < deadline, "never heard from the new master");
        let Ok(Frame::Array(role)) = client.query::<Frame>(["ROLE"]).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let port: u16 = client
            .config_get::<Vec<String>>("port")
            .await
            .ok()
            .and_then(|p| p.get(1)?.parse().ok())
            .unwrap_or(old);
        if role[0].as_bytes() != Some(&b"master"[..]) || port == old {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        if client.publish::<i64>("news", "after").await.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        match tokio::time::timeout(Duration::from_millis(500), subscriber.next()).await {
            Ok(Some(Ok(message))) if &message.payload[..] == b"after" => break,
            _ => {}
        }
    }
}
