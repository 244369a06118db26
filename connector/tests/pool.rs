#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The pool's semantics against a real `redis-server`.

mod support;

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
    let dead = support::dead_port();
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
fn pool_keys_hold_what_the_server_sees_and_nothing_else() {
    let plain: Config = "redis://10.0.0.1:6379".parse().unwrap();
    let key = redwire::PoolKey::of;
    // What makes connections differ on the server's side.
    assert_ne!(key(&plain), key(&plain.clone().proxy(true)));
    assert_ne!(key(&plain), key(&plain.clone().client_name("worker")));
    assert_ne!(
        key(&plain),
        key(&plain.clone().protocol(redwire::Protocol::Resp3))
    );
    assert_ne!(
        key(&plain),
        key(&plain.clone().bind("127.0.0.1".parse().unwrap()))
    );
    let verified = plain.clone().tls(redwire::TlsOptions::default());
    let mut insecure_options = redwire::TlsOptions::default();
    insecure_options.insecure = true;
    let insecure = plain.clone().tls(insecure_options);
    let mut mutual_options = redwire::TlsOptions::default();
    mutual_options.client_cert = Some("client.pem".into());
    mutual_options.client_key = Some("client.key".into());
    let mutual = plain.clone().tls(mutual_options);
    assert_ne!(key(&plain), key(&verified));
    assert_ne!(key(&verified), key(&insecure));
    assert_ne!(key(&verified), key(&mutual));
    assert_eq!(key(&verified).to_string(), "10.0.0.1:6379/0+tls");
    // What the client alone applies, at each checkout.
    assert_eq!(key(&plain), key(&plain.clone().disabled_commands(&["set"])));
    let timeouts = plain
        .clone()
        .read_timeout(Duration::from_millis(500))
        .unwrap()
        .send_timeout(Duration::from_millis(300))
        .unwrap()
        .connect_timeout(Duration::from_millis(200))
        .unwrap();
    assert_eq!(key(&plain), key(&timeouts));
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

/// How many clients the server at `server` has, the observer included.
async fn clients(server: &Server) -> usize {
    let url = format!("redis://{}:{}", server.host(), server.port());
    let mut observer = redwire::Connection::connect(&url.parse().unwrap())
        .await
        .unwrap();
    let list = observer.cmd(&["CLIENT", "LIST"]).await.unwrap();
    String::from_utf8_lossy(list.as_bytes().unwrap())
        .lines()
        .count()
}

#[tokio::test]
async fn keyed_pools_split_on_tls_settings_and_share_across_timeouts() {
    let server = Server::start(ServerOptions::default().tls()).unwrap();
    let files = server.tls_files().unwrap();
    let pools = redwire::Pools::new(PoolConfig::default());
    let base = Config::default().tcp("127.0.0.1", server.port()).unwrap();
    let mut verified = redwire::TlsOptions::default();
    verified.ca_file = Some(files.ca_cert.clone());
    let mut insecure = redwire::TlsOptions::default();
    insecure.insecure = true;
    let verified = base.clone().tls(verified);
    let insecure = base.clone().tls(insecure);
    let mut v = pools.get(&verified).await.unwrap();
    let verified_id = client_id(&mut v).await;
    drop(v);
    // Released, yet not handed to a configuration that verifies nothing.
    let mut i = pools.get(&insecure).await.unwrap();
    assert_ne!(client_id(&mut i).await, verified_id);
    drop(i);
    assert_eq!(pools.len(), 2);

    // Timeouts are the client's: one pool, each checkout with its own.
    let quick = verified
        .clone()
        .read_timeout(Duration::from_millis(100))
        .unwrap();
    let patient = verified
        .clone()
        .read_timeout(Duration::from_secs(10))
        .unwrap();
    let mut q = pools.get(&quick).await.unwrap();
    assert_eq!(client_id(&mut q).await, verified_id, "the same pool");
    let started = std::time::Instant::now();
    let err = q.cmd(&["BLPOP", "nothing", "1"]).await.unwrap_err();
    assert!(matches!(err, redwire::Error::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_millis(900));
    drop(q);
    let mut p = pools.get(&patient).await.unwrap();
    assert!(p.cmd(&["BLPOP", "nothing", "0.3"]).await.unwrap().is_null());
    drop(p);
    // A configuration that disables PING does not break the pool's own
    // check of the connection it used: a connection checked at each
    // checkout stays the one made.
    let checking = redwire::Pools::new(PoolConfig::default().check_after(Duration::ZERO));
    let no_ping = verified.clone().disabled_commands(&["PING"]);
    for config in [&no_ping, &verified, &no_ping] {
        drop(checking.get(config).await.unwrap());
    }
    let stats = checking.pool(&verified).unwrap().stats();
    assert_eq!((stats.created, stats.validated), (1, 2), "{stats:?}");
    // A healthy connection that served `quick` serves the pool's own
    // settings next.
    let mut q = pools.get(&quick).await.unwrap();
    let reused = client_id(&mut q).await;
    drop(q);
    let mut again = pools.pool(&quick).unwrap().get().await.unwrap();
    assert_eq!(client_id(&mut again).await, reused);
    assert!(again
        .cmd(&["BLPOP", "nothing", "0.3"])
        .await
        .unwrap()
        .is_null());
    drop(again);
    assert_eq!(pools.len(), 2);
}

#[tokio::test]
async fn distinct_timeouts_never_multiply_connections() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pools = redwire::Pools::new(PoolConfig::default());
    let base: Config = format!("redis://{}:{}", server.host(), server.port())
        .parse()
        .unwrap();
    for i in 0..100 {
        let config = base
            .clone()
            .read_timeout(Duration::from_millis(1000 + i))
            .unwrap()
            .connect_timeout(Duration::from_millis(2000 + i))
            .unwrap();
        let mut connection = pools.get(&config).await.unwrap();
        connection.cmd(&["PING"]).await.unwrap();
    }
    assert_eq!(pools.len(), 1);
    assert_eq!(
        clients(&server).await,
        2,
        "one pooled connection and the observer"
    );
}

#[tokio::test]
async fn keyed_pools_are_bounded_and_the_least_used_goes() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pools = redwire::Pools::new(PoolConfig::default()).max_pools(3);
    let config = |db: u32| -> Config {
        format!("redis://{}:{}/{db}", server.host(), server.port())
            .parse()
            .unwrap()
    };
    // One held throughout: its pool is in use, so it is never the one to go.
    let mut held = pools.get(&config(0)).await.unwrap();
    let held_id = client_id(&mut held).await;
    for db in 1..10 {
        let mut connection = pools.get(&config(db)).await.unwrap();
        connection.cmd(&["PING"]).await.unwrap();
        assert!(pools.len() <= 3, "{} pools", pools.len());
    }
    // The held connection's pool was kept, and its connection still works.
    assert_eq!(client_id(&mut held).await, held_id);
    drop(held);
    let mut again = pools.get(&config(0)).await.unwrap();
    assert_eq!(client_id(&mut again).await, held_id, "its pool was kept");
    drop(again);
    // The dropped pools' idle connections are closed.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while clients(&server).await > 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "connections of dropped pools stay open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A counter of `INFO stats`.
async fn stat(connection: &mut redwire::Connection, name: &str) -> u64 {
    let info = connection.cmd(&["INFO", "stats"]).await.unwrap();
    String::from_utf8_lossy(info.as_bytes().unwrap())
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_connect_fails_its_own_checkout_only() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let address = format!("{}:{}", server.host(), server.port());
    let mut admin = redwire::Connection::connect(&address.parse().unwrap())
        .await
        .unwrap();
    // db 1: the handshake's SELECT reads a refusal.
    let pool = Connector::new(format!("redis://{address}/1").parse().unwrap())
        .pool(
            PoolConfig::default()
                .max_size(3)
                .checkout_timeout(Duration::from_secs(5)),
        )
        .unwrap();
    let held = [
        pool.get().await.unwrap(),
        pool.get().await.unwrap(),
        pool.get().await.unwrap(),
    ];
    // From now on the server refuses every new connection.
    admin
        .cmd(&("CONFIG", "SET", "maxclients", 3))
        .await
        .unwrap();
    let refused_before = stat(&mut admin, "rejected_connections").await;
    // Two checkouts wait for a connection to come back.
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { pool.get().await.map(drop) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        waiting.iter().all(|w| !w.is_finished()),
        "a full pool makes them wait"
    );
    // One comes back broken: each waiter in turn connects, and is refused.
    let [first, second, third] = held;
    third.force_close();
    let mut failed = 0;
    for checkout in waiting {
        let outcome = tokio::time::timeout(Duration::from_secs(4), checkout)
            .await
            .unwrap()
            .unwrap();
        if let Err(e) = outcome {
            assert!(matches!(e, PoolError::ConnectFailed(_)), "{e}");
            assert!(e.to_string().contains("max number of clients"), "{e}");
            failed += 1;
        }
    }
    let refused = stat(&mut admin, "rejected_connections").await - refused_before;
    // Never more failures than connects refused: no checkout fails for
    // another's connect.
    assert_eq!(failed, 2);
    assert_eq!(refused, failed, "connects refused");
    // The connections held all along work on, and one returned is reused.
    drop(first);
    let mut again = pool.get().await.unwrap();
    again.cmd(&["PING"]).await.unwrap();
    drop(second);
}

#[test]
fn fifty_tasks_on_one_thread_never_starve_under_sustained_load() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (gets, exhausted, longest) = runtime.block_on(async {
        let pool = pool(&server, PoolConfig::default());
        let until = std::time::Instant::now() + Duration::from_secs(30);
        let tasks: Vec<_> = (0..50)
            .map(|task| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let key = format!("k{task}");
                    let (mut gets, mut exhausted, mut longest) = (0u64, 0u64, Duration::ZERO);
                    while std::time::Instant::now() < until {
                        let asked = std::time::Instant::now();
                        match pool.get().await {
                            Ok(mut connection) => {
                                longest = longest.max(asked.elapsed());
                                connection.cmd(&("GET", key.as_str())).await.unwrap();
                                gets += 1;
                            }
                            Err(PoolError::Exhausted { .. }) => exhausted += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                    (gets, exhausted, longest)
                })
            })
            .collect();
        let mut total = (0, 0, Duration::ZERO);
        for task in tasks {
            let (gets, exhausted, longest) = task.await.unwrap();
            total = (total.0 + gets, total.1 + exhausted, total.2.max(longest));
        }
        total
    });
    println!("{gets} GETs in 30 s by 50 tasks on one thread; longest checkout wait {longest:?}");
    assert_eq!(exhausted, 0, "checkouts that found no connection in time");
    assert!(gets > 0);
}

#[tokio::test]
async fn idle_connections_are_closed_and_min_idle_ones_kept_without_checkouts() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let idle = pool(
        &server,
        PoolConfig::default()
            .max_size(4)
            .idle_timeout(Duration::from_millis(300)),
    );
    let held: Vec<_> = futures_util::future::join_all((0..3).map(|_| idle.get())).await;
    drop(held);
    assert_eq!(idle.stats().idle, 3);
    // Nobody checks out: the pool's own task closes them.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while idle.stats().idle > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "idle connections stay open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(idle);
    let kept = pool(&server, PoolConfig::default().max_size(4).min_idle(2));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while kept.stats().idle < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "min_idle connections never made"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(clients(&server).await, 3, "two kept and the observer");
}
