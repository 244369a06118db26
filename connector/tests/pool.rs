#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The pool's semantics against a real `redis-server`.

use std::time::Duration;

use redwire::{Config, Connector, Frame, Pool, PoolConfig, PoolError, WhenFull};
use redwire_testkit::{Server, ServerOptions};

fn pool(server: &Server, config: PoolConfig) -> Pool {
    let url = format!("redis://{}:{}", server.host(), server.port());
    Connector::new(url.parse().unwrap()).pool(config).unwrap()
}

async fn client_id(connection: &mut redwire::Connection) -> i64 {
    match connection.cmd(&["CLIENT", "ID"]).await.unwrap() {
        Frame::Integer(id) => id,
        other => panic!("not an id: {other:?}"),
    }
}

/// How many PINGs the server has run.
async fn pings(server: &Server) -> u64 {
    let url = format!("redis://{}:{}", server.host(), server.port());
    let mut observer = redwire::Connection::connect(&url.parse().unwrap())
        .await
        .unwrap();
    let info = observer.cmd(&["INFO", "commandstats"]).await.unwrap();
    let text = String::from_utf8_lossy(info.as_bytes().unwrap()).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("cmdstat_ping:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn release_reuses_and_force_close_replaces() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default().max_size(2));
    let mut first = pool.get().await.unwrap();
    let id = client_id(&mut first).await;
    drop(first);
    let mut again = pool.get().await.unwrap();
    assert_eq!(
        client_id(&mut again).await,
        id,
        "a released connection is reused"
    );
    again.force_close();
    let mut fresh = pool.get().await.unwrap();
    assert_ne!(
        client_id(&mut fresh).await,
        id,
        "a force-closed connection is not"
    );
    let stats = pool.stats();
    assert_eq!((stats.created, stats.reused_without_check), (2, 1));
}

#[tokio::test]
async fn only_connections_idle_past_the_threshold_are_pinged() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(
        &server,
        PoolConfig::default().check_after(Duration::from_millis(300)),
    );
    drop(pool.get().await.unwrap());
    let before = pings(&server).await;
    drop(pool.get().await.unwrap());
    assert_eq!(pings(&server).await, before, "recently used: no PING");
    tokio::time::sleep(Duration::from_millis(400)).await;
    drop(pool.get().await.unwrap());
    assert_eq!(
        pings(&server).await,
        before + 1,
        "idle past the threshold: one PING"
    );
    assert_eq!(pool.stats().validated, 1);
}

#[tokio::test]
async fn a_killed_idle_connection_is_replaced_at_checkout() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default().check_after(Duration::ZERO));
    let mut connection = pool.get().await.unwrap();
    let id = client_id(&mut connection).await;
    drop(connection);
    let url = format!("redis://{}:{}", server.host(), server.port());
    let mut admin = redwire::Connection::connect(&url.parse::<Config>().unwrap())
        .await
        .unwrap();
    admin.cmd(&("CLIENT", "KILL", "ID", id)).await.unwrap();
    let mut replaced = pool.get().await.unwrap();
    assert_ne!(client_id(&mut replaced).await, id);
    assert!(pool.stats().discarded >= 1);
}

#[tokio::test]
async fn a_cancelled_request_discards_its_connection() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default());
    let mut connection = pool.get().await.unwrap();
    let id = client_id(&mut connection).await;
    let cancelled = tokio::time::timeout(
        Duration::from_millis(50),
        connection.cmd(&("BLPOP", "nothing", 1)),
    )
    .await;
    assert!(cancelled.is_err());
    drop(connection);
    let mut next = pool.get().await.unwrap();
    assert_ne!(client_id(&mut next).await, id);
    assert_eq!(pool.stats().discarded, 1);
}

#[tokio::test]
async fn a_full_pool_waits_then_fails_or_overflows() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let waiting = pool(
        &server,
        PoolConfig::default()
            .max_size(1)
            .checkout_timeout(Duration::from_millis(200)),
    );
    let held = waiting.get().await.unwrap();
    let err = waiting.get().await.unwrap_err();
    assert!(matches!(err, PoolError::Exhausted { .. }), "{err}");
    drop(held);
    assert!(waiting.get().await.is_ok());

    let overflowing = pool(
        &server,
        PoolConfig::default()
            .max_size(1)
            .when_full(WhenFull::Overflow),
    );
    let mut held = overflowing.get().await.unwrap();
    let mut extra = overflowing.get().await.unwrap();
    assert!(extra.is_overflow() && !held.is_overflow());
    assert_ne!(client_id(&mut extra).await, client_id(&mut held).await);
    drop(extra);
    let stats = overflowing.stats();
    assert_eq!((stats.overflow, stats.idle + stats.in_use), (1, 1));
}

#[tokio::test]
async fn a_connection_that_cannot_be_made_fails_the_checkout_at_once() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Not waited out: the connect error comes back at once.
    let config = PoolConfig::default().checkout_timeout(Duration::from_secs(30));
    let unreachable = Connector::new(format!("redis://127.0.0.1:{dead}").parse().unwrap())
        .pool(config.clone())
        .unwrap();
    let started = std::time::Instant::now();
    let err = unreachable.get().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The connect error itself, typed: its phase and endpoint.
    let PoolError::ConnectFailed(cause) = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(
            **cause,
            redwire::Error::Io {
                phase: redwire::Phase::Connect,
                ..
            }
        ),
        "{cause:?}"
    );
    assert!(
        err.to_string().contains("connect failed for 127.0.0.1"),
        "{err}"
    );

    let server = Server::start(ServerOptions::default().password("right")).unwrap();
    let wrong = Connector::new(
        format!("redis://:wrong@127.0.0.1:{}", server.port())
            .parse()
            .unwrap(),
    )
    .pool(config)
    .unwrap();
    let started = std::time::Instant::now();
    let err = wrong.get().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(err.to_string().contains("WRONGPASS"), "{err}");
    assert!(!err.to_string().contains("wrong@"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_tasks_share_twenty_connections_without_crossed_replies() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default().max_size(20));
    let tasks: Vec<_> = (0..200)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let key = format!("task:{task}");
                for op in 0..1000 {
                    let mut connection = pool.get().await.unwrap();
                    let value = format!("{task}:{op}");
                    connection
                        .cmd(&("SET", key.as_str(), value.as_str()))
                        .await
                        .unwrap();
                    let read = connection.cmd(&("GET", key.as_str())).await.unwrap();
                    assert_eq!(
                        read.as_bytes(),
                        Some(value.as_bytes()),
                        "task {task} got another's reply"
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert_eq!(stats.in_use, 0, "{stats:?}");
    assert!(
        stats.created <= 20 && u64::from(stats.idle) == stats.created - stats.discarded,
        "{stats:?}"
    );
}

#[test]
fn connecting_is_send_so_it_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let config = Config::default();
    let connecting = redwire::Connection::connect(&config);
    assert_send(&connecting);
}

#[tokio::test]
async fn a_restarted_server_is_survived_without_an_error_reaching_the_caller() {
    let mut server = Server::start(ServerOptions::default()).unwrap();
    // The real 5 s threshold: the connection is recent, yet found gone.
    let pool = pool(&server, PoolConfig::default());
    let mut connection = pool.get().await.unwrap();
    let before = client_id(&mut connection).await;
    connection.cmd(&("SET", "k", "v")).await.unwrap();
    drop(connection);
    server.restart().unwrap();
    let mut connection = pool.get().await.unwrap();
    assert!(
        connection.cmd(&("GET", "k")).await.unwrap().is_null(),
        "a fresh server"
    );
    let after = client_id(&mut connection).await;
    assert!(
        after <= before,
        "a new connection on the restarted server ({before} -> {after})"
    );
    assert_eq!(pool.stats().discarded, 1);
}

#[tokio::test]
async fn connections_inside_multi_or_a_subscription_are_never_returned() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default());
    let mut connection = pool.get().await.unwrap();
    let in_multi = client_id(&mut connection).await;
    connection.cmd(&["MULTI"]).await.unwrap();
    assert!(!connection.is_reusable());
    drop(connection);
    let mut connection = pool.get().await.unwrap();
    let subscribed = client_id(&mut connection).await;
    assert_ne!(subscribed, in_multi, "left inside MULTI: not reused");
    connection.cmd(&("SUBSCRIBE", "events")).await.unwrap();
    drop(connection);
    let mut connection = pool.get().await.unwrap();
    let closed = client_id(&mut connection).await;
    assert_ne!(closed, subscribed, "subscribed: not reused");
    // A finished transaction is reusable.
    connection.cmd(&["MULTI"]).await.unwrap();
    connection.cmd(&("SET", "k", 1)).await.unwrap();
    connection.cmd(&["EXEC"]).await.unwrap();
    assert!(connection.is_reusable());
    drop(connection);
    let mut connection = pool.get().await.unwrap();
    assert_eq!(client_id(&mut connection).await, closed);
    // A connection that changed its database (or user, name, protocol) is
    // not the one the pool's key promises.
    connection.cmd(&("SELECT", 5)).await.unwrap();
    assert!(!connection.is_reusable());
    drop(connection);
    let mut connection = pool.get().await.unwrap();
    let selected = client_id(&mut connection).await;
    assert_ne!(selected, closed, "SELECT 5: not reused");
    let info = connection.cmd(&["CLIENT", "INFO"]).await.unwrap();
    assert!(String::from_utf8_lossy(info.as_bytes().unwrap()).contains(" db=0 "));
    let mut piped = redwire::Pipeline::new();
    piped.cmd(&("CLIENT", "SETNAME", "renamed")).cmd(&["PING"]);
    connection.pipeline(&piped).await.unwrap();
    assert!(!connection.is_reusable());
    drop(connection);
    let mut connection = pool.get().await.unwrap();
    assert_ne!(
        client_id(&mut connection).await,
        selected,
        "renamed: not reused"
    );
    // An error reply changes nothing.
    assert!(connection.cmd(&("SELECT", 99_999)).await.is_err());
    assert!(connection.is_reusable());
    // Watched keys make the next EXEC depend on whoever watched them: not
    // reused until EXEC, DISCARD or UNWATCH (alone or in a pipeline) ends it.
    let unwatched = client_id(&mut connection).await;
    for ends in ["EXEC", "DISCARD", "UNWATCH"] {
        connection.cmd(&("WATCH", "k")).await.unwrap();
        assert!(!connection.is_reusable(), "watching, before {ends}");
        let mut piped = redwire::Pipeline::new();
        if ends != "UNWATCH" {
            piped.cmd(&["MULTI"]);
        }
        piped.cmd(&[ends]);
        connection.pipeline(&piped).await.unwrap();
        assert!(connection.is_reusable(), "{ends} ends the watch");
    }
    // An EXEC the server refuses (no MULTI) leaves the keys watched.
    connection.cmd(&("WATCH", "k")).await.unwrap();
    let mut refused = redwire::Pipeline::new();
    refused.cmd(&["EXEC"]);
    assert!(connection.pipeline(&refused).await.unwrap()[0].is_err());
    assert!(!connection.is_reusable(), "still watching");
    drop(connection);
    let mut connection = pool.get().await.unwrap();
    assert_ne!(
        client_id(&mut connection).await,
        unwatched,
        "watching: not reused"
    );
}

#[tokio::test]
async fn invalidate_retires_idle_and_in_use_connections() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default().max_size(4));
    let mut idle = pool.get().await.unwrap();
    let idle_id = client_id(&mut idle).await;
    let mut in_use = pool.get().await.unwrap();
    let in_use_id = client_id(&mut in_use).await;
    drop(idle);
    pool.invalidate();
    drop(in_use);
    let mut first = pool.get().await.unwrap();
    let mut second = pool.get().await.unwrap();
    let fresh = [client_id(&mut first).await, client_id(&mut second).await];
    assert!(
        !fresh.contains(&idle_id) && !fresh.contains(&in_use_id),
        "{fresh:?}"
    );
}

#[tokio::test]
async fn keyed_pools_never_share_connections_across_credentials() {
    let server = Server::start(ServerOptions::default().acl_user("alice", "a-pass")).unwrap();
    let pools = redwire::Pools::new(PoolConfig::default());
    let address = format!("{}:{}", server.host(), server.port());
    let alice: Config = format!("redis://alice:a-pass@{address}").parse().unwrap();
    let default_user: Config = format!("redis://{address}").parse().unwrap();
    for _ in 0..2 {
        let mut a = pools.get(&alice).await.unwrap();
        assert_eq!(
            a.cmd(&["ACL", "WHOAMI"]).await.unwrap().as_bytes(),
            Some(&b"alice"[..])
        );
        let mut d = pools.get(&default_user).await.unwrap();
        assert_eq!(
            d.cmd(&["ACL", "WHOAMI"]).await.unwrap().as_bytes(),
            Some(&b"default"[..])
        );
    }
    let key = redwire::PoolKey::of(&alice);
    assert_eq!(key.to_string(), format!("{address}/0 as alice"));
    assert!(!format!("{key:?}").contains("a-pass"));
    // Same key, same pool: the second round reused both connections.
    assert_eq!(pools.pool(&alice).unwrap().stats().created, 1);
}

#[test]
fn sentinel_pool_keys_tell_roles_and_sets_apart() {
    let key = |dsn: &str| redwire::PoolKey::of(&dsn.parse().unwrap());
    let master = key("sentinel://mymaster:m?sentinels=10.0.0.1:26379,[::1]:26380");
    assert_eq!(
        master.to_string(),
        "sentinel mymaster:m via 10.0.0.1:26379,[::1]:26380/0"
    );
    assert_ne!(
        master,
        key("sentinel://mymaster:s?sentinels=10.0.0.1:26379,[::1]:26380")
    );
    assert_ne!(
        master,
        key("sentinel://mymaster:m?sentinels=10.0.0.9:26379")
    );
    assert_eq!(
        master,
        key("sentinel://mymaster:m/0?sentinels=10.0.0.1:26379,[::1]:26380")
    );
    // The sentinels' credentials count too.
    let set = |password: &str| {
        let sentinel = redwire::Sentinel::new(
            "mymaster",
            redwire::Role::Master,
            vec![("10.0.0.1".into(), 26379)],
        )
        .credentials(Some("watcher"), password);
        redwire::PoolKey::of(&Config::default().sentinel(sentinel))
    };
    assert_eq!(set("one"), set("one"));
    assert_ne!(set("one"), set("two"));
}

#[test]
fn pool_keys_tell_command_policies_apart() {
    let plain: Config = "redis://10.0.0.1:6379".parse().unwrap();
    let key = redwire::PoolKey::of;
    assert_ne!(key(&plain), key(&plain.clone().proxy(true)));
    assert_ne!(key(&plain), key(&plain.clone().disabled_commands(&["set"])));
    let read_timeout = plain
        .clone()
        .read_timeout(Duration::from_millis(500))
        .unwrap();
    assert_ne!(key(&plain), key(&read_timeout));
    assert_eq!(
        key(&plain.clone().disabled_commands(&["get", "SET"])),
        key(&plain.clone().disabled_commands(&["set", "get"]))
    );
}

#[tokio::test]
async fn named_pools_are_registered_once_and_found_by_name() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pools = redwire::Pools::new(PoolConfig::default());
    let config: Config = format!("redis://{}:{}/4", server.host(), server.port())
        .parse()
        .unwrap();
    pools
        .register("cache", config.clone(), PoolConfig::default().max_size(2))
        .unwrap();
    let err = pools
        .register("cache", config, PoolConfig::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"a pool named "cache" is already registered"#
    );
    let err = pools.named("nope").unwrap_err();
    assert_eq!(err.to_string(), r#"no pool named "nope" is registered"#);
    let mut connection = pools.named("cache").unwrap().get().await.unwrap();
    connection.cmd(&("SET", "in-db-4", 1)).await.unwrap();
    let info = connection.cmd(&["CLIENT", "INFO"]).await.unwrap();
    assert!(
        String::from_utf8_lossy(info.as_bytes().unwrap()).contains(" db=4 "),
        "{info:?}"
    );
}

#[tokio::test]
async fn connections_past_their_lifetime_are_replaced() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(
        &server,
        PoolConfig::default().max_lifetime(Duration::from_millis(300)),
    );
    let mut connection = pool.get().await.unwrap();
    let old = client_id(&mut connection).await;
    drop(connection);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut connection = pool.get().await.unwrap();
    assert_ne!(client_id(&mut connection).await, old);
}

#[tokio::test]
async fn the_real_five_second_threshold_pings_only_after_it() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pool = pool(&server, PoolConfig::default());
    drop(pool.get().await.unwrap());
    let before = pings(&server).await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    drop(pool.get().await.unwrap());
    assert_eq!(
        pings(&server).await,
        before,
        "4.5 s idle: reused without PING"
    );
    tokio::time::sleep(Duration::from_millis(5200)).await;
    drop(pool.get().await.unwrap());
    assert_eq!(
        pings(&server).await,
        before + 1,
        "5.2 s idle: checked with PING"
    );
}
