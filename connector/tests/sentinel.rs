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
