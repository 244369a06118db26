#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! `SharedConnection`: many callers on one multiplexed connection, against
//! a real server.

use std::future::Future;
use std::time::Duration;

use redwire::{Config, Connection, Error, Frame, Pipeline, SharedConnection};
use redwire_testkit::{Server, ServerOptions};

fn config(server: &Server) -> Config {
    format!("redis://127.0.0.1:{}/3", server.port())
        .parse()
        .unwrap()
}

/// How many clients the server has (the observer included).
async fn clients(observer: &mut Connection) -> usize {
    let list = observer.cmd(&["CLIENT", "LIST"]).await.unwrap();
    String::from_utf8_lossy(list.as_bytes().unwrap())
        .lines()
        .count()
}

/// How many connections the server has accepted.
async fn accepted(observer: &mut Connection) -> u64 {
    let info = observer.cmd(&("INFO", "stats")).await.unwrap();
    String::from_utf8_lossy(info.as_bytes().unwrap())
        .lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_share_one_connection_without_crossed_replies() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let shared = SharedConnection::new(config(&server));
    let mut callers = tokio::task::JoinSet::new();
    for caller in 0..100 {
        let shared = shared.clone();
        callers.spawn(async move {
            for i in 0..50 {
                let value = format!("{caller}:{i}");
                let echoed = shared.cmd(&("ECHO", value.as_str())).await.unwrap();
                assert_eq!(echoed.as_bytes(), Some(value.as_bytes()));
            }
        });
    }
    while let Some(done) = callers.join_next().await {
        done.unwrap();
    }
    let mut observer = Connection::connect(&config(&server)).await.unwrap();
    assert_eq!(clients(&mut observer).await, 2, "one shared connection");
    // Its database is the configured one; pipelines keep errors in place.
    shared.cmd(&("SET", "k", "v")).await.unwrap();
    assert_eq!(
        observer.cmd(&("GET", "k")).await.unwrap().as_bytes(),
        Some(&b"v"[..])
    );
    let mut pipe = Pipeline::new();
    pipe.cmd(&("INCR", "k")).cmd(&("GET", "k"));
    let replies = shared.pipeline(&pipe).await.unwrap();
    assert!(replies[0].is_err());
    assert_eq!(replies[1].as_ref().unwrap().as_bytes(), Some(&b"v"[..]));
    assert!(matches!(
        shared.cmd(&("HGET", "k", "f")).await,
        Err(Error::Server(e)) if e.code() == "WRONGTYPE"
    ));
}

#[tokio::test]
async fn commands_that_block_or_keep_state_are_refused_before_sending() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let shared = SharedConnection::new(config(&server).disabled_commands(&["FLUSHALL"]));
    for command in [
        &["BLPOP", "q", "0"][..],
        &["MULTI"],
        &["WATCH", "k"],
        &["SELECT", "1"],
        &["SUBSCRIBE", "c"],
        &["CLIENT", "SETNAME", "x"],
    ] {
        let err = shared.cmd(command).await.unwrap_err();
        assert!(
            matches!(&err, Error::NeedsOwnConnection { command: c } if c == command[0]),
            "{err}"
        );
    }
    // ASKING applies to the command after it: alone, it would reach
    // another caller's; in a pipeline before its command, it goes with it.
    assert!(matches!(
        shared.cmd(&["ASKING"]).await,
        Err(Error::NeedsOwnConnection { .. })
    ));
    let mut pipe = Pipeline::new();
    pipe.cmd(&("SET", "k", 1)).cmd(&["EXEC"]);
    assert!(matches!(
        shared.pipeline(&pipe).await,
        Err(Error::NeedsOwnConnection { .. })
    ));
    assert!(matches!(
        shared.cmd(&["FLUSHALL"]).await,
        Err(Error::Disabled { .. })
    ));
    for name in ["GET", "set", "EVALSHA", "xadd", "PUBLISH"] {
        assert!(redwire::Effects::of(&[name]).shares(), "{name}");
    }
    // Nothing was sent: no connection was even made.
    let mut observer = Connection::connect(&config(&server)).await.unwrap();
    assert_eq!(clients(&mut observer).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_hands_replies_to_a_function_and_reconnects_after_a_failure() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let shared = SharedConnection::new(config(&server));
    let (sent, received) = std::sync::mpsc::channel::<Result<Frame, Error>>();
    for i in 0..10 {
        let sent = sent.clone();
        shared.submit(&("ECHO", i), move |reply| sent.send(reply).unwrap());
    }
    let echoed: Vec<_> = (0..10)
        .map(|_| {
            received
                .recv_timeout(Duration::from_secs(5))
                .unwrap()
                .unwrap()
        })
        .collect();
    let expected: Vec<_> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(
        echoed
            .iter()
            .map(|f| String::from_utf8_lossy(f.as_bytes().unwrap()).into_owned())
            .collect::<Vec<_>>(),
        expected
    );
    // Let go while a request is in flight: its reply still comes.
    let in_flight = sent.clone();
    shared.submit(&("ECHO", "last"), move |reply| {
        in_flight.send(reply).unwrap();
    });
    shared.close();
    let last = received
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .unwrap();
    assert_eq!(last.as_bytes(), Some(&b"last"[..]));
    // A refused command is answered at once.
    let refused = sent.clone();
    shared.submit(&["MULTI"], move |reply| refused.send(reply).unwrap());
    assert!(matches!(
        received.try_recv().unwrap(),
        Err(Error::NeedsOwnConnection { .. })
    ));
    // The server drops the connection: a later request makes a new one.
    let mut observer = Connection::connect(&config(&server)).await.unwrap();
    observer
        .cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"])
        .await
        .unwrap();
    let mut answered = None;
    for _ in 0..3 {
        if let Ok(pong) = shared.cmd(&["PING"]).await {
            answered = Some(pong);
            break;
        }
    }
    assert_eq!(
        answered.and_then(|f| f.as_bytes().map(<[u8]>::to_vec)),
        Some(b"PONG".to_vec())
    );
    assert_eq!(clients(&mut observer).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_timeout_bounds_replies_due_not_an_idle_connection() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let timed = config(&server)
        .read_timeout(Duration::from_millis(100))
        .unwrap();
    let shared = SharedConnection::new(timed);
    let mut observer = Connection::connect(&config(&server)).await.unwrap();
    shared.cmd(&["PING"]).await.unwrap();
    let before = accepted(&mut observer).await;
    // Idle for three read timeouts: the connection stays.
    tokio::time::sleep(Duration::from_millis(300)).await;
    shared.cmd(&["PING"]).await.unwrap();
    let after = accepted(&mut observer).await;
    assert_eq!(after, before, "the idle shared connection was kept");
    // A reply that is due and late times out.
    observer
        .cmd(&("CLIENT", "PAUSE", 500, "ALL"))
        .await
        .unwrap();
    // Requests keep coming every 30 ms: they do not push the deadline back.
    let started = std::time::Instant::now();
    let callers: Vec<_> = (0..8_u64)
        .map(|i| {
            let shared = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(30 * i)).await;
                shared.cmd(&("GET", "k")).await
            })
        })
        .collect();
    let mut callers = callers.into_iter();
    let first = callers.next().unwrap().await.unwrap().unwrap_err();
    assert!(
        matches!(first, Error::Timeout { after, .. } if after == Duration::from_millis(100)),
        "{first}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(350),
        "timed out after {:?}, with the pause lasting 500 ms",
        started.elapsed()
    );
    // The others end too (failed with it, or on a new connection).
    for caller in callers {
        caller.await.unwrap().ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_submits_and_makes_async_callers_wait() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let plain: Config = format!("redis://127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    let shared = SharedConnection::new(plain.clone());
    shared.cmd(&["PING"]).await.unwrap();
    // The server stops answering (its process stopped, its sockets open):
    // requests pile up.
    let paused = server.pause(Duration::from_secs(60)).unwrap();
    let (sent, received) = std::sync::mpsc::channel::<Result<Frame, Error>>();
    let extra = 10;
    for i in 0..redwire::MAX_QUEUED + extra {
        let sent = sent.clone();
        shared.submit(&("ECHO", i), move |reply| drop(sent.send(reply)));
    }
    // Refused at once, the rest queued: never silently dropped.
    let refused: Vec<_> = received.try_iter().collect();
    assert_eq!(refused.len(), extra);
    assert!(refused
        .iter()
        .all(|r| matches!(r, Err(Error::QueueFull { .. }))));
    // An async caller waits for room rather than failing.
    let waiting = tokio::time::timeout(Duration::from_millis(300), shared.cmd(&["PING"])).await;
    assert!(waiting.is_err(), "an async caller got past a full queue");
    let late = tokio::spawn({
        let shared = shared.clone();
        async move { shared.cmd(&("ECHO", "late")).await }
    });
    drop(paused);
    // Every queued request is answered once the server is back.
    let answered: Vec<_> = (0..redwire::MAX_QUEUED)
        .map(|_| received.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    assert!(answered.iter().all(Result::is_ok));
    assert_eq!(late.await.unwrap().unwrap().as_bytes(), Some(&b"late"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_giving_up_lets_go_only_a_connection_that_read_nothing_since() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let shared = SharedConnection::new(config(&server));
    let mut observer = Connection::connect(&config(&server)).await.unwrap();
    let given_up = std::time::Instant::now();
    shared.cmd(&["PING"]).await.unwrap();
    let before = accepted(&mut observer).await;
    // A request is due on a server that stopped answering.
    let paused = server.pause(Duration::from_secs(60)).unwrap();
    let due = tokio::spawn({
        let shared = shared.clone();
        async move { shared.cmd(&("ECHO", "due")).await }
    });
    tokio::time::sleep(redwire::STALLED_AFTER + Duration::from_millis(100)).await;
    // It answered (the PING) after the request given up was made: kept.
    shared.close_if_stalled(given_up);
    drop(paused);
    assert_eq!(due.await.unwrap().unwrap().as_bytes(), Some(&b"due"[..]));
    shared.cmd(&["PING"]).await.unwrap();
    assert_eq!(
        accepted(&mut observer).await,
        before,
        "a live connection was let go"
    );
    // Idle for a while, then silent for a moment only with a reply due (a
    // timeout shorter than a reply takes): kept. Silent for longer, since
    // before the request given up: the next request takes a new
    // connection, and those due still get their replies, on the connection
    // let go.
    tokio::time::sleep(redwire::STALLED_AFTER).await;
    let paused = server.pause(Duration::from_secs(60)).unwrap();
    let client_id = |shared: &SharedConnection| {
        let shared = shared.clone();
        tokio::spawn(async move { shared.cmd(&("CLIENT", "ID")).await.unwrap() })
    };
    let due = client_id(&shared);
    tokio::time::sleep(Duration::from_millis(100)).await;
    shared.close_if_stalled(std::time::Instant::now());
    let also_due = client_id(&shared);
    tokio::time::sleep(redwire::STALLED_AFTER).await;
    shared.close_if_stalled(std::time::Instant::now());
    let after = client_id(&shared);
    drop(paused);
    let (due, also_due, after) = (
        due.await.unwrap(),
        also_due.await.unwrap(),
        after.await.unwrap(),
    );
    assert_eq!(due, also_due, "let go when silent for a moment only");
    assert_ne!(due, after, "kept when silent since before");
    assert_eq!(accepted(&mut observer).await, before + 1);
}

#[tokio::test(flavor = "current_thread")]
async fn requests_not_written_when_a_connection_is_let_go_go_on_the_next() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let shared = SharedConnection::new(config(&server));
    shared.cmd(&["PING"]).await.unwrap();
    let mut observer = Connection::connect(&config(&server)).await.unwrap();
    let before = accepted(&mut observer).await;
    // Queued, then let go before the connection's task writes them.
    let (sent, received) = std::sync::mpsc::channel::<Result<Frame, Error>>();
    for i in 0..3 {
        let sent = sent.clone();
        shared.submit(&("ECHO", i), move |reply| drop(sent.send(reply)));
    }
    shared.close();
    let mut echoed = Vec::new();
    for _ in 0..500 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        echoed.extend(received.try_iter());
        if echoed.len() == 3 {
            break;
        }
    }
    let echoed: Vec<_> = echoed
        .into_iter()
        .map(|reply| reply.unwrap().as_bytes().unwrap().to_vec())
        .collect();
    assert_eq!(echoed, [b"0".to_vec(), b"1".to_vec(), b"2".to_vec()]);
    assert_eq!(accepted(&mut observer).await, before + 1);
}

#[test]
fn outside_a_runtime_a_shared_connection_answers_an_error_not_a_panic() {
    let shared = SharedConnection::new("redis://127.0.0.1:6379".parse().unwrap());
    let (sent, received) = std::sync::mpsc::channel();
    shared.submit(&["PING"], move |reply| sent.send(reply).unwrap());
    assert!(matches!(
        received.try_recv().unwrap(),
        Err(Error::NoRuntime)
    ));
    // An async request polled by something else than tokio.
    let mut request = std::pin::pin!(shared.cmd(&["PING"]));
    let polled = request
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    assert!(
        matches!(polled, std::task::Poll::Ready(Err(Error::NoRuntime))),
        "{polled:?}"
    );
}

#[tokio::test]
async fn it_is_live_only_once_its_connection_is_made() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let shared = SharedConnection::new(config(&server));
    assert!(!shared.is_live(), "nothing made yet");
    shared.cmd(&["PING"]).await.unwrap();
    assert!(shared.is_live());

    // A peer that takes the connection and never answers its handshake
    // (`SELECT 3`): connecting, not live.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move { silent.accept().await.map(|(stream, _)| stream) });
    let config: Config = format!("redis://127.0.0.1:{port}/3?connect_timeout=2000")
        .parse()
        .unwrap();
    let stalled = SharedConnection::new(config);
    let request = tokio::spawn({
        let stalled = stalled.clone();
        async move { stalled.cmd(&["PING"]).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stalled.is_live(), "still connecting");
    assert!(matches!(request.await.unwrap(), Err(Error::Timeout { .. })));
    assert!(!stalled.is_live());
    drop(held);
}
