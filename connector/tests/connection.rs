#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Connections against real `redis-server`s started by the testkit.

use std::time::{Duration, Instant};

use redwire::{Config, Connection, Error, Frame, Phase, Pipeline, TlsOptions};
use redwire_testkit::{Server, ServerOptions};

fn url(server: &Server) -> String {
    format!("redis://{}:{}", server.host(), server.port())
}

async fn connect(text: &str) -> Connection {
    let config: Config = text.parse().unwrap();
    Connection::connect(&config)
        .await
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A timeout in `phase` that fired no earlier than `set` and well before 3× it.
fn assert_timed_out(err: &Error, phase: Phase, took: Duration, set: Duration) {
    assert!(
        matches!(err, Error::Timeout { phase: p, after, .. } if *p == phase && *after == set),
        "{err}"
    );
    assert!(
        took >= set && took < 3 * set,
        "took {took:?} for a timeout of {set:?}"
    );
}

/// Connecting fails in the TLS handshake.
async fn assert_tls_refused(config: &Config) {
    let err = Connection::connect(config).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Io {
                phase: Phase::Tls,
                ..
            }
        ),
        "{err}"
    );
}

fn bytes(frame: &Frame) -> &[u8] {
    frame
        .as_bytes()
        .unwrap_or_else(|| panic!("not a string: {frame:?}"))
}

#[tokio::test]
async fn commands_return_values_nulls_and_server_errors() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    assert_eq!(bytes(&c.cmd(&("SET", "k", "v")).await.unwrap()), b"OK");
    assert_eq!(bytes(&c.cmd(&("GET", "k")).await.unwrap()), b"v");
    assert!(c.cmd(&("GET", "missing")).await.unwrap().is_null());
    assert_eq!(
        c.cmd(&("INCRBY", "n", 41)).await.unwrap(),
        Frame::Integer(41)
    );
    let Err(Error::Server(e)) = c.cmd(&("LPUSH", "k", "x")).await else {
        panic!("an error reply")
    };
    assert_eq!(e.code(), "WRONGTYPE");
    // An error reply leaves the connection usable.
    assert!(!c.is_broken());
    assert_eq!(c.cmd(&("INCR", "n")).await.unwrap(), Frame::Integer(42));
}

#[tokio::test]
async fn auth_with_password_and_the_ways_it_fails() {
    let server = Server::start(ServerOptions::default().password("s3cret")).unwrap();
    let address = format!("{}:{}", server.host(), server.port());
    let mut c = connect(&format!("redis://:s3cret@{address}")).await;
    assert_eq!(bytes(&c.cmd(&["PING"]).await.unwrap()), b"PONG");

    let wrong: Config = format!("redis://:nope@{address}").parse().unwrap();
    let err = Connection::connect(&wrong).await.unwrap_err();
    let Error::Refused { phase, reply, .. } = &err else {
        panic!("refused: {err}")
    };
    assert_eq!(*phase, Phase::Auth);
    assert_eq!(reply.code(), "WRONGPASS");
    assert!(!err.to_string().contains("nope"), "{err}");

    let unauthenticated = connect(&format!("redis://{address}"))
        .await
        .cmd(&["PING"])
        .await;
    assert!(matches!(unauthenticated, Err(Error::Server(e)) if e.code() == "NOAUTH"));

    let plain = Server::start(ServerOptions::default()).unwrap();
    let err = Connection::connect(
        &format!("redis://:extra@{}:{}", plain.host(), plain.port())
            .parse()
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Refused {
                phase: Phase::Auth,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_acl_user_is_who_the_server_sees() {
    let server = Server::start(ServerOptions::default().acl_user("alice", "wonder")).unwrap();
    for protocol in ["2", "3"] {
        let mut c = connect(&format!(
            "{}?protocol={protocol}",
            url(&server).replace("://", "://alice:wonder@")
        ))
        .await;
        assert_eq!(bytes(&c.cmd(&["ACL", "WHOAMI"]).await.unwrap()), b"alice");
    }
}

#[tokio::test]
async fn select_isolates_databases() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut one = connect(&format!("{}/1", url(&server))).await;
    let mut two = connect(&format!("{}/2", url(&server))).await;
    one.cmd(&("SET", "only-in-1", "x")).await.unwrap();
    assert!(two.cmd(&("GET", "only-in-1")).await.unwrap().is_null());
    assert_eq!(bytes(&one.cmd(&("GET", "only-in-1")).await.unwrap()), b"x");
}

#[tokio::test]
async fn resp3_replies_are_typed() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!("{}?protocol=3&client_name=typed", url(&server))).await;
    c.cmd(&("HSET", "h", "f", "v")).await.unwrap();
    let Frame::Map(pairs) = c.cmd(&("HGETALL", "h")).await.unwrap() else {
        panic!("a map")
    };
    assert_eq!(
        (bytes(&pairs[0].0), bytes(&pairs[0].1)),
        (&b"f"[..], &b"v"[..])
    );
    assert_eq!(
        bytes(&c.cmd(&["CLIENT", "GETNAME"]).await.unwrap()),
        b"typed"
    );
    assert!(matches!(
        c.cmd(&("GET", "missing")).await.unwrap(),
        Frame::Null
    ));
}

#[tokio::test]
async fn tls_verified_refused_with_a_wrong_ca_and_mutual() {
    let server = Server::start(ServerOptions::default().tls()).unwrap();
    let files = server.tls_files().unwrap();
    let config = |ca: &std::path::Path| -> Config {
        let mut tls = TlsOptions::default();
        tls.ca_file = Some(ca.to_owned());
        Config::default()
            .tcp("127.0.0.1", server.port())
            .unwrap()
            .tls(tls)
    };
    let mut c = Connection::connect(&config(&files.ca_cert)).await.unwrap();
    assert_eq!(bytes(&c.cmd(&["PING"]).await.unwrap()), b"PONG");

    let other = Server::start(ServerOptions::default().tls()).unwrap();
    assert_tls_refused(&config(&other.tls_files().unwrap().ca_cert)).await;

    let mutual = Server::start(ServerOptions::default().tls_client_auth()).unwrap();
    let files = mutual.tls_files().unwrap();
    let base = format!(
        "rediss://127.0.0.1:{}?ca_file={}",
        mutual.port(),
        files.ca_cert.display()
    );
    let without: Config = base.parse().unwrap();
    let err = match Connection::connect(&without).await {
        Ok(mut c) => c.cmd(&["PING"]).await.unwrap_err(),
        Err(e) => e,
    };
    assert!(matches!(err, Error::Io { .. }), "{err}");
    let with = format!(
        "{base}&client_cert={}&client_key={}",
        files.client_cert.display(),
        files.client_key.display()
    );
    assert_eq!(
        bytes(&connect(&with).await.cmd(&["PING"]).await.unwrap()),
        b"PONG"
    );
}

#[tokio::test]
async fn rediss_against_a_plaintext_server_fails_within_the_connect_timeout() {
    // A plaintext server answers a TLS hello only if its random bytes hold a
    // line break; otherwise it waits, and the connect timeout ends the wait.
    let server = Server::start(ServerOptions::default()).unwrap();
    let config: Config = format!(
        "rediss://127.0.0.1:{}?insecure=true&connect_timeout=500",
        server.port()
    )
    .parse()
    .unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let err = Connection::connect(&config).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "took {:?}",
            started.elapsed()
        );
        match &err {
            Error::Io {
                phase: Phase::Tls, ..
            } => {}
            Error::Timeout {
                phase: Phase::Tls, ..
            } => {
                assert!(
                    err.to_string().contains("does the server speak TLS"),
                    "{err}"
                );
            }
            other => panic!("not a TLS failure: {other}"),
        }
    }
}

#[tokio::test]
async fn unix_sockets_and_a_missing_path() {
    let server = Server::start(ServerOptions::default().unix_socket()).unwrap();
    let path = server.unix_socket().unwrap();
    let mut c = connect(&format!("unix://{}?db=3", path.display())).await;
    assert_eq!(bytes(&c.cmd(&["PING"]).await.unwrap()), b"PONG");
    let err = Connection::connect(&"/nonexistent/redis.sock".parse().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Io {
                phase: Phase::Connect,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("/nonexistent/redis.sock"), "{err}");
}

#[tokio::test]
async fn the_connect_timeout_fires_when_the_handshake_stalls() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..2 {
            held.push(listener.accept().await.unwrap());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let config: Config = format!("redis://:pw@127.0.0.1:{port}?connect_timeout=300")
        .parse()
        .unwrap();
    let started = Instant::now();
    let err = Connection::connect(&config).await.unwrap_err();
    let took = started.elapsed();
    assert_timed_out(&err, Phase::Auth, took, Duration::from_millis(300));
    hold.abort();
}

#[tokio::test]
async fn the_read_timeout_fires_on_blpop_and_breaks_the_connection() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!("{}?read_timeout=300", url(&server))).await;
    let started = Instant::now();
    let err = c.cmd(&("BLPOP", "empty", 0)).await.unwrap_err();
    let took = started.elapsed();
    assert_timed_out(&err, Phase::Read, took, Duration::from_millis(300));
    assert!(c.is_broken());
    assert!(matches!(c.cmd(&["PING"]).await, Err(Error::Broken { .. })));
}

#[tokio::test]
async fn a_cancelled_request_breaks_the_connection() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    let cancelled =
        tokio::time::timeout(Duration::from_millis(100), c.cmd(&("BLPOP", "empty", 1))).await;
    assert!(cancelled.is_err());
    // The BLPOP reply would arrive later: the connection must not hand it to PING.
    assert!(matches!(c.cmd(&["PING"]).await, Err(Error::Broken { .. })));
}

#[tokio::test]
async fn pipelines_keep_errors_in_place() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    let mut p = Pipeline::new();
    p.cmd(&("SET", "a", "1"))
        .cmd(&("INCR", "a"))
        .cmd(&("LPUSH", "a", "x"))
        .cmd(&("GET", "missing"))
        .cmd(&("GET", "a"));
    let replies = c.pipeline(&p).await.unwrap();
    assert_eq!(replies.len(), 5);
    assert_eq!(bytes(replies[0].as_ref().unwrap()), b"OK");
    assert_eq!(replies[1].as_ref().unwrap(), &Frame::Integer(2));
    assert_eq!(replies[2].as_ref().unwrap_err().code(), "WRONGTYPE");
    assert!(replies[3].as_ref().unwrap().is_null());
    assert_eq!(bytes(replies[4].as_ref().unwrap()), b"2");
    assert!(c.pipeline(&Pipeline::new()).await.unwrap().is_empty());
}

#[tokio::test]
async fn raw_resp_is_sent_as_is() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    let replies = c
        .send_raw(
            b"*3\r\n$3\r\nSET\r\n$1\r\nr\r\n$2\r\nok\r\n*2\r\n$3\r\nGET\r\n$1\r\nr\r\n",
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        (bytes(&replies[0]), bytes(&replies[1])),
        (&b"OK"[..], &b"ok"[..])
    );
}

#[tokio::test]
async fn scripts_survive_script_flush() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    let sha = c
        .load_script("double", "return tonumber(ARGV[1]) * 2 + #KEYS")
        .await
        .unwrap();
    assert_eq!(sha.len(), 40);
    assert_eq!(
        c.run_script("double", &["k"], &["20"]).await.unwrap(),
        Frame::Integer(41)
    );
    c.cmd(&["SCRIPT", "FLUSH"]).await.unwrap();
    assert_eq!(
        c.run_script("double", &["k", "l"], &["5"]).await.unwrap(),
        Frame::Integer(12)
    );
}

fn calls(info: &Frame, command: &str) -> bool {
    String::from_utf8_lossy(bytes(info)).contains(&format!("cmdstat_{command}:"))
}

#[tokio::test]
async fn disabled_and_proxy_refused_commands_send_nothing() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut observer = connect(&url(&server)).await;
    let mut c = connect(&format!("{}?disabled_commands=flushall,Keys", url(&server))).await;
    for command in ["FLUSHALL", "flushall", "keys"] {
        let err = c.cmd(&[command, "*"]).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("command {} is disabled", command.to_ascii_uppercase())
        );
    }
    let mut p = Pipeline::new();
    p.cmd(&("SET", "x", 1)).cmd(&["KEYS", "*"]);
    assert!(matches!(c.pipeline(&p).await, Err(Error::Disabled { .. })));

    let mut proxy = connect(&format!("{}?proxy=true&client_name=skipped", url(&server))).await;
    assert!(matches!(
        proxy.cmd(&["MULTI"]).await,
        Err(Error::Disabled { .. })
    ));
    assert_eq!(
        bytes(&proxy.cmd(&("SET", "through-proxy", 1)).await.unwrap()),
        b"OK"
    );

    let stats = observer.cmd(&["INFO", "commandstats"]).await.unwrap();
    for command in ["flushall", "keys", "multi", "client|setname"] {
        assert!(!calls(&stats, command), "{command} reached the server");
    }
    assert!(calls(&stats, "set"));
}

#[tokio::test]
async fn a_connectors_overrides_apply_to_one_connection_only() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let connector = redwire::Connector::new(format!("{}/2", url(&server)).parse().unwrap());
    let mut five = connector.connect_with(|c| Ok(c.db(5))).await.unwrap();
    let mut two = connector.connect().await.unwrap();
    five.cmd(&("SET", "where", "five")).await.unwrap();
    two.cmd(&("SET", "where", "two")).await.unwrap();
    assert_eq!(bytes(&five.cmd(&("GET", "where")).await.unwrap()), b"five");
    assert_eq!(connector.defaults().get_db(), 2);
    let err = connector
        .connect_with(|c| c.password(""))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[tokio::test]
async fn ipv6_loopback_and_a_local_bind_address() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut v6 = connect(&format!("redis://[::1]:{}", server.port())).await;
    let info = v6.cmd(&["CLIENT", "INFO"]).await.unwrap();
    assert!(
        String::from_utf8_lossy(bytes(&info)).contains("addr=[::1]:"),
        "{info:?}"
    );

    let mut bound = connect(&format!("{}?bind=127.0.0.2", url(&server))).await;
    let info = bound.cmd(&["CLIENT", "INFO"]).await.unwrap();
    assert!(
        String::from_utf8_lossy(bytes(&info)).contains("addr=127.0.0.2:"),
        "{info:?}"
    );
}

#[tokio::test]
async fn tls_server_name_override_and_the_insecure_option() {
    let server = Server::start(ServerOptions::default().tls()).unwrap();
    let ca = server.tls_files().unwrap().ca_cert.display().to_string();
    let base = format!("rediss://127.0.0.1:{}?ca_file={ca}", server.port());
    // The certificate names localhost: verified under that name, refused under another.
    let mut named = connect(&format!("{base}&server_name=localhost")).await;
    assert_eq!(bytes(&named.cmd(&["PING"]).await.unwrap()), b"PONG");
    let wrong: Config = format!("{base}&server_name=elsewhere.example")
        .parse()
        .unwrap();
    assert_tls_refused(&wrong).await;
    // With no CA given the web roots do not know the test CA; insecure skips verification.
    let untrusted: Config = format!("rediss://127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    assert!(Connection::connect(&untrusted).await.is_err());
    let mut insecure = connect(&format!(
        "rediss://127.0.0.1:{}?insecure=true",
        server.port()
    ))
    .await;
    assert_eq!(bytes(&insecure.cmd(&["PING"]).await.unwrap()), b"PONG");
}

#[tokio::test]
async fn read_returns_pubsub_messages() {
    let server = Server::start(ServerOptions::default()).unwrap();
    for protocol in ["2", "3"] {
        let mut subscriber = connect(&format!(
            "{}?protocol={protocol}&read_timeout=2000",
            url(&server)
        ))
        .await;
        // RESP2 confirms with an array, RESP3 with a push: either is the reply.
        let (Frame::Array(confirmation) | Frame::Push(confirmation)) =
            subscriber.cmd(&("SUBSCRIBE", "news")).await.unwrap()
        else {
            panic!("a confirmation")
        };
        assert_eq!(bytes(&confirmation[0]), b"subscribe");
        let mut publisher = connect(&url(&server)).await;
        assert_eq!(
            publisher.cmd(&("PUBLISH", "news", "hello")).await.unwrap(),
            Frame::Integer(1)
        );
        let message = loop {
            let frame = subscriber.read().await.unwrap();
            let (Frame::Array(items) | Frame::Push(items)) = frame else {
                panic!("a message: {frame:?}")
            };
            if bytes(&items[0]) == b"message" {
                break items;
            }
        };
        assert_eq!(
            (bytes(&message[1]), bytes(&message[2])),
            (&b"news"[..], &b"hello"[..])
        );
    }
}

#[tokio::test]
async fn subscribing_to_several_channels_keeps_replies_in_step() {
    let server = Server::start(ServerOptions::default()).unwrap();
    for protocol in ["2", "3"] {
        let mut c = connect(&format!(
            "{}?protocol={protocol}&read_timeout=2000",
            url(&server)
        ))
        .await;
        let (Frame::Array(first) | Frame::Push(first)) =
            c.cmd(&("SUBSCRIBE", "a", "b", "c")).await.unwrap()
        else {
            panic!("a confirmation")
        };
        assert_eq!(
            (bytes(&first[1]), &first[2]),
            (&b"a"[..], &Frame::Integer(1))
        );
        for (channel, count) in [("b", 2), ("c", 3)] {
            let (Frame::Array(next) | Frame::Push(next)) = c.read().await.unwrap() else {
                panic!("a confirmation")
            };
            assert_eq!(
                (bytes(&next[1]), &next[2]),
                (channel.as_bytes(), &Frame::Integer(count))
            );
        }
        // Unsubscribing from everything reads every confirmation.
        let (Frame::Array(gone) | Frame::Push(gone)) = c.cmd(&["UNSUBSCRIBE"]).await.unwrap()
        else {
            panic!("a confirmation")
        };
        assert_eq!(bytes(&gone[0]), b"unsubscribe");
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(50), c.read())
            .await
            .map(Result::ok)
        {}
        if protocol == "3" {
            // Out of subscribed mode, ordinary replies are in step.
            c.cmd(&("SET", "k", "v")).await.unwrap();
            assert_eq!(bytes(&c.cmd(&("GET", "k")).await.unwrap()), b"v");
        }
    }
}

#[tokio::test]
async fn unsubscribing_from_every_channel_leaves_patterns_subscribed() {
    let server = Server::start(ServerOptions::default()).unwrap();
    for protocol in ["2", "3"] {
        let mut c = connect(&format!(
            "{}?protocol={protocol}&read_timeout=2000",
            url(&server)
        ))
        .await;
        c.cmd(&("SUBSCRIBE", "a", "b")).await.unwrap();
        c.cmd(&("PSUBSCRIBE", "p*")).await.unwrap();
        // Two confirmations (one per channel), though a pattern remains:
        // the count in them never reaches 0.
        let first = c.cmd(&["UNSUBSCRIBE"]).await.unwrap();
        let (Frame::Array(first) | Frame::Push(first)) = first else {
            panic!("a confirmation")
        };
        assert_eq!(bytes(&first[0]), b"unsubscribe");
        assert!(!c.is_reusable(), "still subscribed to a pattern");
        let mut kinds = Vec::new();
        while let Ok(Ok(frame)) = tokio::time::timeout(Duration::from_millis(100), c.read()).await {
            let (Frame::Array(items) | Frame::Push(items)) = frame else {
                panic!("a confirmation")
            };
            kinds.push(bytes(&items[0]).to_vec());
        }
        // b's subscribe confirmation, then b's unsubscribe confirmation.
        assert_eq!(kinds, [b"subscribe".to_vec(), b"unsubscribe".to_vec()]);
        c.cmd(&["PUNSUBSCRIBE"]).await.unwrap();
        assert!(c.is_reusable(), "no subscription is left");
        // With none left, an unsubscribe from everything has one confirmation.
        c.cmd(&["UNSUBSCRIBE"]).await.unwrap();
        assert!(c.is_reusable());
    }
}

#[tokio::test]
async fn a_subscriber_lists_its_resubscriptions_and_can_wait_without_a_read_timeout() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!("{}?read_timeout=100", url(&server))).await;
    assert!(c.resubscriptions().is_empty());
    c.cmd(&("SUBSCRIBE", "a", "b")).await.unwrap();
    c.cmd(&("PSUBSCRIBE", "p*")).await.unwrap();
    c.cmd(&("UNSUBSCRIBE", "a")).await.unwrap();
    let mut again = c.resubscriptions();
    again.sort();
    let expected: Vec<Vec<Vec<u8>>> = vec![
        vec![b"PSUBSCRIBE".to_vec(), b"p*".to_vec()],
        vec![b"SUBSCRIBE".to_vec(), b"b".to_vec()],
    ];
    assert_eq!(again, expected);
    // Drain the confirmations, then wait past the 100 ms read timeout.
    while let Ok(frame) = tokio::time::timeout(Duration::from_millis(50), c.read()).await {
        frame.unwrap();
    }
    c.set_read_timeout(None);
    let waited = tokio::time::timeout(Duration::from_millis(400), c.read()).await;
    assert!(waited.is_err(), "no message came and no timeout fired");
    assert!(!c.is_broken(), "a dropped read is cancel-safe");
    c.set_read_timeout(Some(Duration::from_millis(100)));
    let started = Instant::now();
    let err = c.read().await.unwrap_err();
    assert_timed_out(
        &err,
        Phase::Read,
        started.elapsed(),
        Duration::from_millis(100),
    );
    // A subscriber's loop reads on after a timeout: the next message comes.
    assert!(!c.is_broken());
    let mut publisher = connect(&url(&server)).await;
    publisher.cmd(&("PUBLISH", "b", "after")).await.unwrap();
    let message = c.read().await.unwrap();
    assert_eq!(pubsub(&message), (b"message".to_vec(), b"after".to_vec()));
}

#[tokio::test]
async fn subscriptions_sent_without_waiting_confirm_in_order_with_messages() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    let mut publisher = connect(&url(&server)).await;
    c.send_subscription(&("SUBSCRIBE", "a", "b")).await.unwrap();
    let kind = |frame: &Frame| {
        let (Frame::Array(items) | Frame::Push(items)) = frame else {
            panic!("{frame:?}")
        };
        (bytes(&items[0]).to_vec(), bytes(&items[1]).to_vec())
    };
    assert_eq!(
        kind(&c.read().await.unwrap()),
        (b"subscribe".to_vec(), b"a".to_vec())
    );
    assert_eq!(
        kind(&c.read().await.unwrap()),
        (b"subscribe".to_vec(), b"b".to_vec())
    );
    assert_eq!(c.resubscriptions().len(), 1, "noted as sent");
    assert!(!c.is_reusable(), "replies may be left unread");
    publisher.cmd(&("PUBLISH", "b", "first")).await.unwrap();
    c.send_subscription(&("UNSUBSCRIBE", "b")).await.unwrap();
    // The message published before the unsubscribe comes before its confirmation.
    assert_eq!(
        kind(&c.read().await.unwrap()),
        (b"message".to_vec(), b"b".to_vec())
    );
    assert_eq!(
        kind(&c.read().await.unwrap()),
        (b"unsubscribe".to_vec(), b"b".to_vec())
    );
    assert_eq!(
        c.resubscriptions(),
        vec![vec![b"SUBSCRIBE".to_vec(), b"a".to_vec()]]
    );
    // A PING's pong comes in its place among the frames, subscriptions untouched.
    c.send_subscription(&("ping", "are you there"))
        .await
        .unwrap();
    assert_eq!(
        kind(&c.read().await.unwrap()),
        (b"pong".to_vec(), b"are you there".to_vec())
    );
    assert_eq!(c.resubscriptions().len(), 1);
    let err = c.send_subscription(&("GET", "k")).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotSubscription { command } if command == "GET"),
        "{err}"
    );
    assert!(!c.is_broken(), "nothing was sent");
}

#[tokio::test]
async fn monitor_sent_without_waiting_reads_every_command_after_ok() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    let mut other = connect(&url(&server)).await;
    c.send_subscription(&["MONITOR"]).await.unwrap();
    assert_eq!(c.read().await.unwrap(), Frame::SimpleString("OK".into()));
    other.cmd(&("SET", "watched", "1")).await.unwrap();
    let Frame::SimpleString(line) = c.read().await.unwrap() else {
        panic!("a monitor line is a simple string")
    };
    assert!(
        line.ends_with(b"\"SET\" \"watched\" \"1\""),
        "{}",
        String::from_utf8_lossy(&line)
    );
    assert!(!c.is_reusable());
    // Only read() from now on: a command's reply would be a monitor line.
    let err = c.cmd(&["PING"]).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

#[tokio::test]
async fn empty_and_subscribe_commands_are_refused_where_they_cannot_work() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&url(&server)).await;
    assert!(matches!(
        c.cmd::<[&str]>(&[]).await,
        Err(Error::EmptyCommand)
    ));
    let mut p = Pipeline::new();
    p.cmd(&["PING"]).cmd::<[&str]>(&[]);
    assert!(matches!(c.pipeline(&p).await, Err(Error::EmptyCommand)));
    let mut p = Pipeline::new();
    p.cmd(&("subscribe", "x"));
    let err = c.pipeline(&p).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "SUBSCRIBE cannot be pipelined: send it with cmd"
    );
    assert_eq!(bytes(&c.cmd(&["PING"]).await.unwrap()), b"PONG");
}

#[tokio::test]
async fn debug_output_of_a_connection_has_no_credentials() {
    let server = Server::start(ServerOptions::default().password("hunter2-secret")).unwrap();
    let c = connect(&url(&server).replace("://", "://:hunter2-secret@")).await;
    let text = format!("{c:?}");
    assert!(
        text.contains("Connection") && !text.contains("hunter2"),
        "{text}"
    );
}

#[tokio::test]
async fn impossible_combinations_are_configuration_errors() {
    let server = Server::start(ServerOptions::default().unix_socket()).unwrap();
    let proxied: Config = format!("{}/2?proxy=true", url(&server)).parse().unwrap();
    let err = Connection::connect(&proxied).await.unwrap_err();
    assert!(
        matches!(err, Error::Config(_)) && err.to_string().contains("proxy mode"),
        "{err}"
    );
    let tls_unix = Config::default()
        .unix(server.unix_socket().unwrap())
        .tls(TlsOptions::default());
    assert!(matches!(
        Connection::connect(&tls_unix).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn a_bind_address_skips_addresses_of_the_other_family() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!(
        "redis://localhost:{}?bind=127.0.0.1",
        server.port()
    ))
    .await;
    let info = c.cmd(&["CLIENT", "INFO"]).await.unwrap();
    assert!(
        String::from_utf8_lossy(bytes(&info)).contains("addr=127.0.0.1:"),
        "{info:?}"
    );
}

/// The kind and payload of a pub/sub frame (`[kind, channel, payload]`).
fn pubsub(frame: &Frame) -> (Vec<u8>, Vec<u8>) {
    let (Frame::Array(items) | Frame::Push(items)) = frame else {
        panic!("a pub/sub frame: {frame:?}")
    };
    (
        bytes(&items[0]).to_vec(),
        items[2].as_bytes().unwrap_or_default().to_vec(),
    )
}

#[tokio::test]
async fn a_command_while_subscribed_gets_its_own_reply_not_a_message() {
    let server = Server::start(ServerOptions::default()).unwrap();
    for protocol in ["2", "3"] {
        let mut subscriber = connect(&format!(
            "{}?protocol={protocol}&read_timeout=2000",
            url(&server)
        ))
        .await;
        subscriber.cmd(&("SUBSCRIBE", "news")).await.unwrap();
        let mut publisher = connect(&url(&server)).await;
        for i in 0..5 {
            publisher.cmd(&("PUBLISH", "news", i)).await.unwrap();
        }
        // The messages are on the wire before PING's reply.
        let pong = subscriber.cmd(&("PING", "hi")).await.unwrap();
        match protocol {
            // A subscribed RESP2 connection answers `[pong, hi]`.
            "2" => assert_eq!(
                pong,
                Frame::Array(vec![
                    Frame::BulkString("pong".into()),
                    Frame::BulkString("hi".into())
                ])
            ),
            _ => assert_eq!(bytes(&pong), b"hi"),
        }
        for i in 0..5 {
            let message = subscriber.read().await.unwrap();
            assert_eq!(
                pubsub(&message),
                (b"message".to_vec(), i.to_string().into_bytes())
            );
        }
        // Unsubscribed, a reply that looks like a message is a reply.
        subscriber.cmd(&["UNSUBSCRIBE"]).await.unwrap();
        let mut plain = connect(&format!("{}?protocol={protocol}", url(&server))).await;
        plain.cmd(&("DEL", "list")).await.unwrap();
        plain
            .cmd(&("RPUSH", "list", "message", "news", "fake"))
            .await
            .unwrap();
        let list = subscriber.cmd(&("LRANGE", "list", 0, -1)).await.unwrap();
        assert_eq!(pubsub(&list), (b"message".to_vec(), b"fake".to_vec()));
    }
}

#[tokio::test]
async fn frames_set_aside_are_bounded_and_what_was_dropped_is_said() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut subscriber = connect(&format!("{}?read_timeout=5000", url(&server))).await;
    subscriber.cmd(&("SUBSCRIBE", "flood")).await.unwrap();
    let mut publisher = connect(&url(&server)).await;
    let extra = 100;
    let count = redwire::MAX_SET_ASIDE + extra;
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let mut pipeline = Pipeline::new();
        for i in chunk {
            pipeline.cmd(&("PUBLISH", "flood", i));
        }
        publisher.pipeline(&pipeline).await.unwrap();
    }
    // Waiting for PING's reply reads every message before it.
    subscriber.cmd(&["PING"]).await.unwrap();
    let err = subscriber.read().await.unwrap_err();
    assert!(
        matches!(err, Error::Lagged { dropped, .. } if dropped == extra as u64),
        "{err}"
    );
    assert!(err.keeps_connection());
    // The oldest went; the rest are there, in order.
    for i in extra..count {
        let message = subscriber.read().await.unwrap();
        assert_eq!(pubsub(&message).1, i.to_string().into_bytes());
    }
    assert!(!subscriber.is_broken());
}

#[tokio::test]
async fn suppressed_replies_are_not_waited_for() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!("{}?read_timeout=2000", url(&server))).await;
    assert!(c.cmd(&["CLIENT", "REPLY", "OFF"]).await.unwrap().is_null());
    assert!(c.cmd(&("SET", "k", "off")).await.unwrap().is_null());
    assert_eq!(
        bytes(&c.cmd(&["CLIENT", "REPLY", "ON"]).await.unwrap()),
        b"OK"
    );
    assert_eq!(bytes(&c.cmd(&["GET", "k"]).await.unwrap()), b"off");
    let mut pipeline = Pipeline::new();
    pipeline
        .cmd(&["CLIENT", "REPLY", "SKIP"])
        .cmd(&("SET", "k", "skipped"))
        .cmd(&["GET", "k"]);
    let replies = c.pipeline(&pipeline).await.unwrap();
    assert_eq!(
        replies,
        vec![
            Ok(Frame::Null),
            Ok(Frame::Null),
            Ok(Frame::BulkString("skipped".into()))
        ]
    );
    assert!(!c.is_broken(), "replies stayed in step");
    assert!(!c.is_reusable(), "its reply mode was changed");
}

#[tokio::test]
async fn a_resp3_reply_that_looks_like_a_message_is_a_reply() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut plain = connect(&url(&server)).await;
    plain
        .cmd(&("RPUSH", "chat", "message", "news", "fake"))
        .await
        .unwrap();
    let mut subscriber = connect(&format!("{}?protocol=3&read_timeout=2000", url(&server))).await;
    subscriber.cmd(&("SUBSCRIBE", "news")).await.unwrap();
    // RESP3 allows any command while subscribed; its reply is an array.
    let list = subscriber.cmd(&("LRANGE", "chat", 0, -1)).await.unwrap();
    assert_eq!(pubsub(&list), (b"message".to_vec(), b"fake".to_vec()));
    plain.cmd(&("PUBLISH", "news", "real")).await.unwrap();
    let message = subscriber.read().await.unwrap();
    assert!(matches!(message, Frame::Push(_)), "{message:?}");
    assert_eq!(pubsub(&message), (b"message".to_vec(), b"real".to_vec()));
}

#[tokio::test]
async fn effects_that_cannot_be_followed_are_refused_before_sending() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!("{}?read_timeout=2000", url(&server))).await;
    // Inside MULTI they would take effect within EXEC's reply.
    c.cmd(&["MULTI"]).await.unwrap();
    for command in [
        &["SUBSCRIBE", "c"][..],
        &["CLIENT", "REPLY", "OFF"],
        &["MONITOR"],
    ] {
        let err = c.cmd(command).await.unwrap_err();
        assert!(
            matches!(&err, Error::Unsupported { command: name, .. } if name == command[0]),
            "{err}"
        );
        assert!(err.keeps_connection());
    }
    assert_eq!(c.cmd(&["EXEC"]).await.unwrap(), Frame::Array(Vec::new()));
    let mut pipeline = Pipeline::new();
    pipeline
        .cmd(&["MULTI"])
        .cmd(&["CLIENT", "REPLY", "SKIP"])
        .cmd(&["EXEC"]);
    assert!(matches!(
        c.pipeline(&pipeline).await,
        Err(Error::Unsupported { .. })
    ));
    // A SKIP would swallow the confirmation.
    c.cmd(&["CLIENT", "REPLY", "SKIP"]).await.unwrap();
    assert!(matches!(
        c.cmd(&("SUBSCRIBE", "c")).await,
        Err(Error::Unsupported { .. })
    ));
    // The skip is still due: the next command is not answered.
    assert!(c.cmd(&("SET", "k", "v")).await.unwrap().is_null());
    assert_eq!(bytes(&c.cmd(&["PING"]).await.unwrap()), b"PONG");
    // After MONITOR, what comes is the server's log, not replies.
    c.cmd(&["MONITOR"]).await.unwrap();
    assert!(matches!(
        c.cmd(&["PING"]).await,
        Err(Error::Unsupported { .. })
    ));
    let mut other = connect(&url(&server)).await;
    other.cmd(&("GET", "watched")).await.unwrap();
    let line = c.read().await.unwrap();
    assert!(
        String::from_utf8_lossy(bytes(&line)).contains("\"watched\""),
        "{line:?}"
    );
    assert!(!c.is_reusable());
}

#[tokio::test]
async fn frames_left_unread_make_a_connection_unfit_for_another_caller() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut c = connect(&format!("{}?read_timeout=2000", url(&server))).await;
    c.cmd(&("SUBSCRIBE", "a", "b")).await.unwrap();
    // `b`'s confirmation waits for read(); unsubscribed from everything,
    // the connection still holds it.
    c.cmd(&["UNSUBSCRIBE"]).await.unwrap();
    assert!(!c.is_reusable(), "a frame is left for read()");
    while tokio::time::timeout(Duration::from_millis(100), c.read())
        .await
        .is_ok()
    {}
    assert!(c.is_reusable());
}

#[tokio::test]
async fn the_protocol_is_followed_through_hello_and_reset() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut plain = connect(&url(&server)).await;
    plain
        .cmd(&("RPUSH", "chat", "message", "news", "fake"))
        .await
        .unwrap();
    let mut c = connect(&format!("{}?read_timeout=2000", url(&server))).await;
    // Switched to RESP3: an array while subscribed is a reply.
    c.cmd(&["HELLO", "3"]).await.unwrap();
    c.cmd(&("SUBSCRIBE", "news")).await.unwrap();
    let list = c.cmd(&("LRANGE", "chat", 0, -1)).await.unwrap();
    assert_eq!(pubsub(&list), (b"message".to_vec(), b"fake".to_vec()));
    // RESET: back to RESP2, subscriptions gone.
    c.cmd(&["RESET"]).await.unwrap();
    c.cmd(&("SUBSCRIBE", "news")).await.unwrap();
    plain.cmd(&("PUBLISH", "news", "real")).await.unwrap();
    let Frame::Array(pong) = c.cmd(&["PING"]).await.unwrap() else {
        panic!("a subscribed RESP2 PING answers an array")
    };
    assert_eq!(bytes(&pong[0]), b"pong");
    assert_eq!(
        pubsub(&c.read().await.unwrap()),
        (b"message".to_vec(), b"real".to_vec())
    );
    // Inside MULTI, HELLO would switch only within EXEC: refused.
    let mut t = connect(&url(&server)).await;
    t.cmd(&["MULTI"]).await.unwrap();
    assert!(matches!(
        t.cmd(&["HELLO", "3"]).await,
        Err(Error::Unsupported { .. })
    ));
    t.cmd(&["DISCARD"]).await.unwrap();
}

#[tokio::test]
async fn a_refused_monitor_leaves_the_connection_usable() {
    let server = Server::start(ServerOptions::default().acl_user("watcher", "w-pass")).unwrap();
    let mut admin = connect(&url(&server)).await;
    admin
        .cmd(&["ACL", "SETUSER", "watcher", "-monitor"])
        .await
        .unwrap();
    let mut c = connect(&format!(
        "redis://watcher:w-pass@{}:{}",
        server.host(),
        server.port()
    ))
    .await;
    let err = c.cmd(&["MONITOR"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code() == "NOPERM"),
        "{err}"
    );
    assert_eq!(bytes(&c.cmd(&["PING"]).await.unwrap()), b"PONG");
    assert!(c.is_reusable());
}
