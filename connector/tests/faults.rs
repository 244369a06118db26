#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Faults a real server never makes on its own, through the testkit's
//! fault proxy: a server that goes silent with its socket open.

use std::time::{Duration, Instant};

use redwire::{Client, Commands};
use redwire_testkit::{FaultProxy, Server, ServerOptions};

/// A server, a fault proxy in front of it, and a client of the proxy with
/// `query` in its URL.
async fn behind_a_proxy(query: &str) -> (Server, FaultProxy, Client) {
    let server = Server::start(ServerOptions::default()).unwrap();
    let proxy = FaultProxy::start(("127.0.0.1", server.port())).unwrap();
    let url = format!("redis://127.0.0.1:{}?{query}", proxy.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    (server, proxy, client)
}

#[tokio::test]
async fn a_silent_server_is_noticed_within_the_peer_timeout_and_left_behind() {
    let (_server, proxy, client) = behind_a_proxy("peer_timeout=300").await;
    client.set::<()>("k", "v").await.unwrap();
    proxy.stall(Duration::from_secs(2));
    let started = Instant::now();
    let gets = (0..50).map(|_| client.get::<String>("k"));
    let results = futures_util::future::join_all(gets).await;
    let noticed = started.elapsed();
    assert!(
        noticed >= Duration::from_millis(300) && noticed < Duration::from_millis(1500),
        "{noticed:?}"
    );
    // Every request written met the silence: each says so, and that it
    // may have been applied; none is merely "broken".
    for result in results {
        let e = result.unwrap_err();
        assert!(e.is_timeout() && e.may_have_been_applied(), "{e}");
    }
    proxy.clear();
    assert_eq!(client.get::<String>("k").await.unwrap(), "v");
    assert_eq!(client.stats().shared_connections, 2);
}

#[tokio::test]
async fn the_peer_timeout_leaves_blocking_commands_alone() {
    let (_server, _proxy, client) = behind_a_proxy("peer_timeout=200").await;
    let started = Instant::now();
    let popped: Option<(String, String)> = client.blpop("empty", 1.0).await.unwrap();
    assert_eq!(popped, None);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_long_reply_still_coming_is_not_silence() {
    let (_server, proxy, client) = behind_a_proxy("peer_timeout=300").await;
    let value = "x".repeat(200_000);
    client.set::<()>("big", &value).await.unwrap();
    // 200 kB at 100 kB/s: two seconds of bytes, none of silence.
    proxy.throttle(100_000, Duration::from_secs(10));
    let started = Instant::now();
    assert_eq!(
        client.get::<String>("big").await.unwrap().len(),
        value.len()
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_write_a_silent_server_never_takes_ends_within_the_peer_timeout() {
    let (_server, proxy, client) = behind_a_proxy("peer_timeout=500").await;
    client.set::<()>("k", "v").await.unwrap();
    proxy.stall(Duration::from_secs(10));
    let started = Instant::now();
    // More than the proxy and the kernel's buffers take in.
    let e = client
        .set::<()>("big", "x".repeat(64 << 20))
        .await
        .unwrap_err();
    assert!(e.is_timeout() && e.may_have_been_applied(), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    proxy.clear();
}
