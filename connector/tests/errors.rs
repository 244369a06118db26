#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The library's own errors are variants of their own, never dressed as a
//! server's reply, and each error's cause is reachable through `source()`.

mod support;

use std::error::Error as _;

use redwire::{try_hosts, Config, Connection, Connector, Error, NextUpstream, PoolConfig};
use redwire_testkit::{Server, ServerOptions};
use support::dead_port;

/// The errors from `error` down its `source()` chain, as their messages.
fn chain(error: &(dyn std::error::Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(error), |e| (*e).source())
        .map(ToString::to_string)
        .collect()
}

/// Whether the chain ends in an I/O error of `kind`.
fn ends_in_io(error: &(dyn std::error::Error + 'static), kind: std::io::ErrorKind) -> bool {
    std::iter::successors(Some(error), |e| (*e).source())
        .last()
        .and_then(|last| last.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == kind)
}

#[tokio::test]
async fn an_unknown_script_is_an_error_of_its_own() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let config: Config = format!("redis://127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    let err = connection
        .run_script("never-loaded", &["k"], &["v"])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownScript { name } if name == "never-loaded"),
        "{err}"
    );
    assert!(!matches!(err, Error::Server(_)), "not a server's reply");
    assert_eq!(
        err.to_string(),
        r#"no script loaded under the name "never-loaded""#
    );
    assert!(err.keeps_connection());
    assert_eq!(
        connection.cmd(&["PING"]).await.unwrap().as_bytes(),
        Some(&b"PONG"[..])
    );
}

#[tokio::test]
async fn a_pool_error_leads_to_the_connect_error_and_its_io_cause() {
    let config: Config = format!("redis://127.0.0.1:{}", dead_port())
        .parse()
        .unwrap();
    let pool = Connector::new(config).pool(PoolConfig::default()).unwrap();
    let err = Error::from(pool.get().await.unwrap_err());
    let messages = chain(&err);
    // The pool's error (transparent: its cause is the connect error's),
    // the connect error, its I/O cause.
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("pool could not connect: connect failed for 127.0.0.1:"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("connect failed for 127.0.0.1:"),
        "{messages:?}"
    );
    assert!(
        ends_in_io(&err, std::io::ErrorKind::ConnectionRefused),
        "{messages:?}"
    );
}

#[tokio::test]
async fn every_host_failing_leads_to_the_first_hosts_error() {
    let hosts: Vec<Config> = (0..2)
        .map(|_| {
            format!("redis://127.0.0.1:{}", dead_port())
                .parse()
                .unwrap()
        })
        .collect();
    let err = try_hosts(&hosts, NextUpstream::default())
        .await
        .unwrap_err();
    let first = err.source().unwrap();
    assert!(
        first.to_string().contains(&hosts[0].endpoint().to_string()),
        "{first}"
    );
    assert!(ends_in_io(&err, std::io::ErrorKind::ConnectionRefused));
}

#[tokio::test]
async fn no_sentinel_reachable_leads_to_the_first_sentinels_error() {
    let config: Config = format!("sentinel://mymaster:m?sentinels=127.0.0.1:{}", dead_port())
        .parse()
        .unwrap();
    let err = Connector::new(config).connect().await.unwrap_err();
    assert!(matches!(err, Error::Sentinel(_)), "{err}");
    let messages = chain(&err);
    assert!(messages.len() >= 3, "{messages:?}");
    assert!(
        ends_in_io(&err, std::io::ErrorKind::ConnectionRefused),
        "{messages:?}"
    );
}

#[tokio::test]
async fn errors_say_whether_they_timed_out_may_be_retried_or_may_have_run() {
    use redwire::{Client, Commands, ServerErrorKind};

    // Nothing listens: surely not sent, worth another try later.
    let err = Client::connect(format!("redis://127.0.0.1:{}", dead_port()))
        .await
        .unwrap_err();
    assert!(err.is_retryable() && !err.may_have_been_applied() && !err.is_timeout());

    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let client = Client::connect(format!("{url}?read_timeout=200"))
        .await
        .unwrap();
    // An error reply: the server answered; nothing to retry.
    client.set::<()>("list", 1).await.unwrap();
    let err = client.lpush::<i64>("list", "x").await.unwrap_err();
    assert!(matches!(&err, Error::Server(e) if e.kind() == ServerErrorKind::WrongType));
    assert!(!err.is_retryable() && !err.may_have_been_applied() && !err.is_timeout());

    // No reply in time: it was written, it may have run.
    let mut other = Connection::connect(&url.parse().unwrap()).await.unwrap();
    other.cmd(&("CLIENT", "PAUSE", 1000, "ALL")).await.unwrap();
    let err = client.incr::<i64>("counter", 1).await.unwrap_err();
    assert!(
        err.is_timeout() && err.may_have_been_applied() && !err.is_retryable(),
        "{err}"
    );
    other.cmd(&["CLIENT", "UNPAUSE"]).await.unwrap();
}
