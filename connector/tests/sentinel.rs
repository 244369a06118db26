#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! `sentinel://` against a real set: 1 master, 2 replicas, 3 sentinels.

use redwire::{Config, Connection, Error, Frame};
use redwire_testkit::SentinelSet;

fn dsn(set: &SentinelSet, master: &str, role: &str, extra: &str) -> Config {
    let sentinels: Vec<String> = set
        .sentinel_addresses()
        .iter()
        .map(|(host, port)| format!("{host}:{port}"))
        .collect();
    format!(
        "sentinel://{master}:{role}/0?sentinels={}{extra}",
        sentinels.join(",")
    )
    .parse()
    .unwrap()
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

#[tokio::test]
async fn master_replica_and_any_roles_reach_the_right_servers() {
    let set = SentinelSet::start().unwrap();
    let mut master = Connection::connect(&dsn(&set, "mymaster", "m", ""))
        .await
        .unwrap();
    assert_eq!(
        role_and_port(&mut master).await,
        ("master".to_owned(), set.master.port())
    );
    master
        .cmd(&("SET", "through-sentinel", "yes"))
        .await
        .unwrap();

    let mut replica = Connection::connect(&dsn(&set, "mymaster", "s", ""))
        .await
        .unwrap();
    let (role, port) = role_and_port(&mut replica).await;
    assert_eq!(role, "slave");
    assert!(set.replicas.iter().any(|r| r.port() == port));

    let mut any = Connection::connect(&dsn(&set, "mymaster", "a", ""))
        .await
        .unwrap();
    assert_eq!(role_and_port(&mut any).await.0, "master");
}

#[tokio::test]
async fn discovery_errors_name_what_went_wrong() {
    let set = SentinelSet::start_with("mymaster", 1, 1).unwrap();
    let err = Connection::connect(&dsn(&set, "nosuch", "m", ""))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Sentinel(_)), "{err}");
    assert_eq!(err.to_string(), r#"invalid master name "nosuch""#);

    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config: Config = format!("sentinel://mymaster:m?sentinels=127.0.0.1:{dead}")
        .parse()
        .unwrap();
    let err = Connection::connect(&config).await.unwrap_err();
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
    assert!(Connection::connect(&config).await.is_ok());
}

/// Runs one command on a sentinel or server port (outside the client under test).
async fn admin(port: u16, command: &[&str]) -> Frame {
    let config: Config = format!("redis://127.0.0.1:{port}").parse().unwrap();
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
/// must resume on the new master within 10 s, and every write a replica
/// acknowledged (`WAIT 1 100`) before must be readable there. Returns the
/// time to recover.
async fn drill(trigger: Trigger) -> std::time::Duration {
    use std::time::{Duration, Instant};

    let mut set = SentinelSet::start().unwrap();
    let old_master = set.master.port();
    let pool = redwire::Connector::new(dsn(&set, "mymaster", "m", ""))
        .pool(redwire::PoolConfig::default().checkout_timeout(Duration::from_secs(1)))
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut failover_at = None;
    let mut recovered_after = None;
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut i = 0u32;
    let mut writes_after_recovery = 0;
    while writes_after_recovery < 100 && Instant::now() < deadline {
        if i == 100 && failover_at.is_none() {
            match trigger {
                Trigger::FailoverCommand => {
                    admin(
                        set.sentinels[0].port(),
                        &["SENTINEL", "FAILOVER", "mymaster"],
                    )
                    .await;
                }
                Trigger::KillMaster => set.master.kill_process(),
            }
            failover_at = Some(Instant::now());
        }
        let attempt = async {
            let mut connection = pool.get().await.map_err(|e| e.to_string())?;
            let (_, port) = role_and_port(&mut connection).await;
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
    let err = Connection::connect(&dsn(&set, "mymaster", "s", ""))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), r#"no replicas available for "mymaster""#);
    // Role "any" still reaches the master.
    let mut any = Connection::connect(&dsn(&set, "mymaster", "a", ""))
        .await
        .unwrap();
    assert_eq!(role_and_port(&mut any).await.0, "master");
}
