#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Host lists: dead hosts are skipped in order, as the policy allows.

mod support;

use std::time::Duration;

use redwire::{try_hosts, Config, Error, NextUpstream};
use redwire_testkit::{Server, ServerOptions};
use support::dead_port;

fn host(port: u16, query: &str) -> Config {
    format!("redis://127.0.0.1:{port}?{query}").parse().unwrap()
}

#[tokio::test]
async fn dead_hosts_are_skipped_and_reported() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let hosts = [
        host(dead_port(), ""),
        host(dead_port(), ""),
        host(server.port(), ""),
    ];
    let (mut connection, errors) = try_hosts(&hosts, NextUpstream::default()).await.unwrap();
    assert_eq!(errors.len(), 2);
    assert!(
        errors.iter().all(|e| matches!(e, Error::Io { .. })),
        "{errors:?}"
    );
    assert_eq!(
        connection.cmd(&["PING"]).await.unwrap().as_bytes(),
        Some(&b"PONG"[..])
    );
}

#[tokio::test]
async fn all_hosts_dead_is_no_hosts_available_with_every_error() {
    let hosts = [
        host(dead_port(), ""),
        host(dead_port(), ""),
        host(dead_port(), ""),
    ];
    let Err(Error::NoHosts(errors)) = try_hosts(&hosts, NextUpstream::default()).await else {
        panic!("no hosts")
    };
    assert_eq!(errors.len(), 3);
    let text = Error::NoHosts(errors).to_string();
    assert!(
        text.starts_with("no hosts available: connect failed for 127.0.0.1:"),
        "{text}"
    );
}

#[tokio::test]
async fn the_policy_decides_what_moves_on() {
    let server = Server::start(ServerOptions::default().password("pw")).unwrap();
    let good = host(server.port(), "").password("pw").unwrap();
    let wrong_password = host(server.port(), "").password("bad").unwrap();

    // Off: the first failure is final.
    let Err(Error::NoHosts(errors)) =
        try_hosts(&[host(dead_port(), ""), good.clone()], NextUpstream::off()).await
    else {
        panic!("stopped")
    };
    assert_eq!(errors.len(), 1);

    // A refused handshake moves on only with invalid_response.
    let hosts = [wrong_password, good];
    assert!(try_hosts(&hosts, NextUpstream::default()).await.is_err());
    let (_, errors) = try_hosts(&hosts, NextUpstream::default().invalid_response(true))
        .await
        .unwrap();
    assert!(matches!(errors[..], [Error::Refused { .. }]));

    // A timeout moves on only with timeout.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stalling = host(stall.local_addr().unwrap().port(), "connect_timeout=200")
        .password("pw")
        .unwrap();
    let hosts = [stalling, hosts[1].clone()];
    assert!(try_hosts(&hosts, NextUpstream::default().timeout(false))
        .await
        .is_err());
    let (_, errors) = try_hosts(&hosts, NextUpstream::default()).await.unwrap();
    assert!(
        matches!(errors[..], [Error::Timeout { after, .. }] if after == Duration::from_millis(200))
    );
}
