#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Faults a real server never makes on its own, through the testkit's
//! fault proxy (a server that goes silent with its socket open, a slow
//! link, a reply cut short), and the reliability drills of issue 20 in
//! their short versions, each printing its figures
//! (`cargo test -p redwire --test faults -- --nocapture`; recorded in
//! RELIABILITY.md).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use redwire::{Client, Commands, Connection, Pipeline};
use redwire_testkit::{FaultProxy, Server, ServerOptions};

/// Held by the drills that measure (time, throughput, this process's
/// memory), so that none runs beside another and skews its figures.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server, a fault proxy in front of it, and a client of the proxy with
/// `query` in its URL.
async fn behind_a_proxy(query: &str) -> (Server, FaultProxy, Client) {
    let server = Server::start(ServerOptions::default()).unwrap();
    let proxy = FaultProxy::start(("127.0.0.1", server.port())).unwrap();
    let url = format!("redis://127.0.0.1:{}?{query}", proxy.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    (server, proxy, client)
}

/// Each of `results` failed as a timeout of a request that may have been
/// applied (written, then silence), none as merely "broken".
fn all_timed_out<T: std::fmt::Debug>(results: Vec<Result<T, redwire::Error>>) {
    for result in results {
        let e = result.unwrap_err();
        assert!(e.is_timeout() && e.may_have_been_applied(), "{e}");
    }
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
    // Every request written met the silence.
    all_timed_out(results);
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
    // 128 MB of this process's memory: not beside a drill measuring it.
    let _alone = MEASURING.lock().await;
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

/// A number from `seed`, spread over `0..bound` (deterministic: a run can
/// be repeated).
fn spread(seed: u64, bound: u64) -> u64 {
    let mut x = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 31)) % bound
}

/// Drill 1: through 5 ms of latency each way, 10 000 requests, most
/// dropped at a random point (a timeout of 0–15 ms): every reply that
/// arrives is its own caller's, and the connections stay bounded.
#[tokio::test]
async fn requests_cancelled_on_a_slow_link_never_get_another_callers_reply() {
    let _alone = MEASURING.lock().await;
    let (_server, proxy, client) = behind_a_proxy("").await;
    proxy.latency(Duration::from_millis(5), Duration::from_secs(120));
    let started = Instant::now();
    let (mut answered, mut cancelled, mut most_connections) = (0u32, 0u32, 0usize);
    for round in 0..100u64 {
        let requests = (0..100u64).map(|i| {
            let n = round * 100 + i;
            let client = client.clone();
            async move {
                let within = Duration::from_millis(spread(n, 16));
                let echo = client.echo::<String>(format!("request {n}"));
                (n, tokio::time::timeout(within, echo).await)
            }
        });
        for (n, outcome) in futures_util::future::join_all(requests).await {
            match outcome {
                Ok(reply) => {
                    assert_eq!(reply.unwrap(), format!("request {n}"));
                    answered += 1;
                }
                Err(_) => cancelled += 1,
            }
        }
        most_connections = most_connections.max(proxy.connections());
    }
    // After it all, the client still answers right.
    assert_eq!(client.echo::<String>("last").await.unwrap(), "last");
    assert!(
        cancelled > 1000 && answered > 1000,
        "{cancelled} cancelled, {answered} answered"
    );
    assert!(most_connections <= 2, "{most_connections} connections");
    println!(
        "drill 1 (Rust): 10000 requests through 5 ms latency each way: {cancelled} cancelled \
         mid-flight, {answered} answered, 0 wrong replies, at most {most_connections} \
         connections, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Drill 3: the server sleeps past the read timeout while writes are
/// sent: each timed-out write says it may have been applied, none is sent
/// again, and the counter is the number of writes made.
#[tokio::test]
async fn a_write_that_timed_out_is_reported_and_never_sent_twice() {
    let (server, _proxy, client) = behind_a_proxy("read_timeout=200").await;
    let config = format!("redis://127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    let mut sleeper = Connection::connect(&config).await.unwrap();
    let (mut succeeded, mut timed_out) = (0i64, 0i64);
    for _ in 0..5 {
        let sleep = sleeper.cmd(&("DEBUG", "SLEEP", "0.5"));
        let writes = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            futures_util::future::join_all((0..20).map(|_| client.incr::<i64>("drill3", 1))).await
        };
        let (slept, results) = tokio::join!(sleep, writes);
        slept.unwrap();
        for result in results {
            match result {
                Ok(_) => succeeded += 1,
                Err(e) => {
                    assert!(e.is_timeout() && e.may_have_been_applied(), "{e}");
                    timed_out += 1;
                }
            }
        }
        // Between sleeps the writes go through.
        client.incr::<i64>("drill3", 1).await.unwrap();
        succeeded += 1;
    }
    let counter: i64 = client.get("drill3").await.unwrap();
    assert!(timed_out > 0, "no write met the sleep");
    assert_eq!(
        counter,
        succeeded + timed_out,
        "applied once each, none twice"
    );
    println!(
        "drill 3 (Rust): {timed_out} writes timed out during DEBUG SLEEP past the read timeout, \
         each 'may have been applied'; {succeeded} succeeded; counter {counter} = every write \
         once, none sent again"
    );
}

/// What drill 5's pipeline answers.
type Replies = ((), String, i64, String);

/// Drill 5: a pipeline's replies cut at every byte offset: a typed error
/// each time, no hang, the broken connection never reused, and the next
/// request succeeds.
#[tokio::test]
async fn a_reply_cut_at_any_byte_is_a_typed_error_and_the_next_request_succeeds() {
    let (_server, proxy, client) = behind_a_proxy("").await;
    let mut pipeline = Pipeline::new();
    pipeline
        .set("cut:k", "hello")
        .get("cut:k")
        .incr("cut:n", 1)
        .echo("a longer bulk reply, to cut in the middle of");
    let ((), _, _, echo): Replies = pipeline.query(&client).await.unwrap();
    // "+OK\r\n$5\r\nhello\r\n:N\r\n$44\r\n…\r\n", the counter's digits aside.
    let length = 5 + 11 + 4 + 5 + echo.len() + 2;
    let mut errors = HashSet::new();
    let started = Instant::now();
    for offset in 0..length {
        let connections = client.stats().shared_connections;
        proxy.cut_next_reply(offset);
        let cut = tokio::time::timeout(Duration::from_secs(5), pipeline.query::<Replies>(&client))
            .await
            .expect("no hang");
        let e = cut.expect_err("a cut reply fails");
        assert!(e.may_have_been_applied(), "{offset}: {e}");
        errors.insert(
            format!("{e:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        );
        let after: Replies = pipeline.query(&client).await.unwrap();
        assert_eq!(after.1, "hello");
        // On a new connection: the cut one was not used again.
        assert_eq!(client.stats().shared_connections, connections + 1);
    }
    println!(
        "drill 5 (Rust): a 4-command pipeline's replies cut at each of {length} byte offsets: \
         {length} typed errors ({errors:?}), no hang, the next request succeeded each time, \
         {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The resident memory of this process, in kB.
fn resident_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Drill 4: a subscriber that reads nothing while a million messages are
/// published holds at most its buffer, and says how many it dropped.
#[tokio::test]
async fn a_subscriber_that_does_not_read_holds_its_bound_and_counts_what_it_dropped() {
    use futures_util::{FutureExt, StreamExt};

    let _alone = MEASURING.lock().await;
    let server = Server::start(ServerOptions::default()).unwrap();
    let client = Client::connect(format!("redis://127.0.0.1:{}", server.port()).as_str())
        .await
        .unwrap();
    let mut subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe("flood").await.unwrap();
    let before = resident_kb();
    let started = Instant::now();
    let payload = "m".repeat(100);
    let published = 1_000_000u64;
    for _ in 0..published / 10_000 {
        let mut batch = Pipeline::new();
        for _ in 0..10_000 {
            batch.cmd(&("PUBLISH", "flood", &payload));
        }
        batch.query::<Vec<i64>>(&client).await.unwrap();
    }
    let grown = resident_kb().saturating_sub(before);
    // What it holds now (its bound, `SUBSCRIBER_BUFFER`), read without
    // yielding (nor tokio's budget making it yield), so its task (on this
    // thread) adds nothing meanwhile.
    let mut held = 0u64;
    while let Some(Some(item)) = tokio::task::unconstrained(subscriber.next()).now_or_never() {
        held += u64::from(item.is_ok());
    }
    // Then what it says it dropped, and what it read since (the socket may
    // still have had messages). Under load the server may drop a
    // subscriber its output buffer outgrew: that loss is said too, and the
    // subscriber subscribes again.
    let (mut received, mut dropped, mut lost) = (held, 0u64, 0u32);
    while received + dropped < published {
        match tokio::time::timeout(Duration::from_secs(5), subscriber.next()).await {
            Ok(Some(Ok(_))) => received += 1,
            Ok(Some(Err(redwire::Error::Lagged { dropped: n, .. }))) => dropped += n,
            Ok(Some(Err(e))) if !e.keeps_connection() => lost += 1,
            // Quiet: what was lost with a connection is not counted.
            Err(_) if lost > 0 => break,
            other => panic!("after {received} received, {dropped} dropped: {other:?}"),
        }
    }
    assert!(received + dropped == published || lost > 0);
    // 4096 messages of 100 bytes, and the buffers around them: far from
    // the 100 MB published.
    assert!(grown < 50_000, "grew {grown} kB");
    println!(
        "drill 4 (Rust): 1000000 messages of 100 bytes published to a subscriber that read \
         none ({:.1} s): {held} held, {} read after, {dropped} reported dropped (Lagged), {lost} \
         connection losses reported, resident memory grew {grown} kB",
        started.elapsed().as_secs_f64(),
        received - held,
    );
}

/// What one request of drill 2's load met, and when it ended.
struct Outcome {
    at: Duration,
    /// Whether its key is on the server stopped.
    on_victim: bool,
    result: Result<i64, redwire::Error>,
}

/// What drill 2 measured.
#[derive(Debug)]
struct Silence {
    /// From the stop to the first request on the victim that failed.
    noticed: Duration,
    /// From the stop to the first write on the victim's keys that succeeded again.
    resumed: Duration,
    /// Successes per second on the other servers' keys in the second
    /// before the stop, and from the stop until writes resumed.
    healthy_before: f64,
    healthy_during: f64,
    /// Failures of written requests (timeouts that may have been applied).
    written: usize,
    /// Failures of requests never written (no connection to be had, a
    /// cluster refusing while it fails over).
    unwritten: usize,
    /// Failures only for sharing a connection with one that timed out
    /// (`Broken`, `Closed`): the goal is none.
    collateral: usize,
    /// Failures on the other servers' keys.
    healthy_errors: usize,
}

impl Silence {
    fn report(&self, drill: &str) {
        println!(
            "drill 2 (Rust, {drill}): noticed after {:.2} s, writes resumed after {:.2} s; \
             other servers' keys {:.0}/s before, {:.0}/s during ({:.0} %), {} errors there; \
             failures: {} written (may have been applied), {} never written, {} collateral",
            self.noticed.as_secs_f64(),
            self.resumed.as_secs_f64(),
            self.healthy_before,
            self.healthy_during,
            100.0 * self.healthy_during / self.healthy_before.max(1.0),
            self.healthy_errors,
            self.written,
            self.unwritten,
            self.collateral,
        );
    }
}

/// Drill 2: 50 tasks each `INCR` their key of `keys` (`true`: on the
/// victim) through `client`; after 1.5 s the victim is stopped (its sockets
/// open), until writes on its keys succeed again (at most 40 s).
async fn a_silent_node_under_load(
    client: &Client,
    victim: &Server,
    keys: Vec<(String, bool)>,
) -> Silence {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let tasks: Vec<_> = keys
        .into_iter()
        .map(|(key, on_victim)| {
            let (client, stop, outcomes) = (client.clone(), stop.clone(), outcomes.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let result = client.incr::<i64>(&key, 1).await;
                    let at = started.elapsed();
                    if result.is_err() {
                        // A failed node is not hammered in a spin.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    outcomes.lock().unwrap().push(Outcome {
                        at,
                        on_victim,
                        result,
                    });
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopped_at = started.elapsed();
    let paused = victim.pause(Duration::from_secs(60)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    let resumed = loop {
        if let Some(resumed) = resumed(&outcomes.lock().unwrap(), stopped_at) {
            break resumed;
        }
        if Instant::now() >= deadline {
            let errors: HashSet<String> = outcomes
                .lock()
                .unwrap()
                .iter()
                .filter(|o| o.at > stopped_at)
                .filter_map(|o| Some(o.result.as_ref().err()?.to_string()))
                .take(5)
                .collect();
            panic!("writes on the stopped server's keys never resumed: {errors:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    drop(paused);
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    Silence::of(&outcomes, stopped_at, resumed)
}

/// When the first request on the victim's keys succeeded after one failed
/// since `stopped_at`.
fn resumed(outcomes: &[Outcome], stopped_at: Duration) -> Option<Duration> {
    let on_victim = || outcomes.iter().filter(|o| o.on_victim && o.at > stopped_at);
    let failed = on_victim().find(|o| o.result.is_err())?.at;
    Some(on_victim().find(|o| o.at > failed && o.result.is_ok())?.at)
}

impl Silence {
    /// The figures of `outcomes` for a stop at `stopped_at`.
    fn of(outcomes: &[Outcome], stopped_at: Duration, resumed: Duration) -> Self {
        let healthy = |from: Duration, to: Duration| {
            let n = outcomes
                .iter()
                .filter(|o| !o.on_victim && o.result.is_ok() && o.at >= from && o.at < to)
                .count();
            n as f64 / to.saturating_sub(from).as_secs_f64()
        };
        let failures = || {
            outcomes
                .iter()
                .filter(|o| o.at > stopped_at)
                .filter_map(|o| Some((o.on_victim, o.result.as_ref().err()?)))
        };
        let collateral = |e: &redwire::Error| {
            matches!(
                e,
                redwire::Error::Broken { .. } | redwire::Error::Closed { .. }
            )
        };
        Self {
            noticed: outcomes
                .iter()
                .find(|o| o.on_victim && o.at > stopped_at && o.result.is_err())
                .map_or(Duration::MAX, |o| o.at.saturating_sub(stopped_at)),
            resumed: resumed.saturating_sub(stopped_at),
            healthy_before: healthy(
                stopped_at.saturating_sub(Duration::from_secs(1)),
                stopped_at,
            ),
            healthy_during: healthy(stopped_at, resumed),
            written: failures()
                .filter(|(_, e)| e.may_have_been_applied() && !collateral(e))
                .count(),
            unwritten: failures()
                .filter(|(_, e)| !e.may_have_been_applied() && !collateral(e))
                .count(),
            collateral: failures().filter(|(_, e)| collateral(e)).count(),
            healthy_errors: failures().filter(|(on_victim, _)| !on_victim).count(),
        }
    }
}

/// Drill 2 on a cluster: one master stopped under the load of 50 tasks.
/// The other masters' keys keep their throughput; the stopped one's fail
/// as timeouts within the peer timeout, then go to its replica once the
/// cluster has failed over (2 s node timeout, then the election).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_cluster_master_leaves_the_other_shards_going() {
    let _alone = MEASURING.lock().await;
    let cluster = redwire_testkit::Cluster::start().unwrap();
    let url = format!(
        "redis+cluster://127.0.0.1:{}?peer_timeout=500&connect_timeout=500",
        cluster.nodes[0].port()
    );
    let client = Client::connect(url.as_str()).await.unwrap();
    let masters = client.cluster().unwrap().masters();
    let victim_address = &masters[0];
    let victim = cluster
        .nodes
        .iter()
        .find(|n| victim_address.ends_with(&format!(":{}", n.port())))
        .unwrap();
    let mut keys = Vec::new();
    for t in 0..50 {
        let key = format!("drill2:{t}");
        // The victim serves the key's slot when it answers a read of it.
        let on_victim = client
            .cluster()
            .unwrap()
            .cmd_on(victim_address, &["EXISTS", &key])
            .await
            .is_ok();
        keys.push((key, on_victim));
    }
    assert!(keys.iter().any(|(_, v)| *v) && keys.iter().any(|(_, v)| !*v));
    let s = a_silent_node_under_load(&client, victim, keys).await;
    s.report("cluster");
    assert!(s.noticed < Duration::from_millis(1500), "{s:?}");
    assert_eq!(s.healthy_errors, 0, "{s:?}");
    assert_eq!(s.collateral, 0, "{s:?}");
    assert!(s.written > 0, "{s:?}");
    // The goal is 80 % of before; half is asserted, for a loaded machine.
    assert!(s.healthy_during >= 0.5 * s.healthy_before, "{s:?}");
}

/// Drill 2 through sentinels: the master stopped under the load of 50
/// tasks. Its requests fail as timeouts within the peer timeout; once the
/// sentinels have failed over (1 s down-after), writes go to the new master.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_sentinel_master_is_left_for_the_new_one() {
    let _alone = MEASURING.lock().await;
    let set = redwire_testkit::SentinelSet::start().unwrap();
    let url = format!(
        "sentinel://{}:m/0?sentinels={}&peer_timeout=500&connect_timeout=500",
        set.name,
        set.sentinel_list()
    );
    let client = Client::connect(url.as_str()).await.unwrap();
    let keys = (0..50).map(|t| (format!("drill2:{t}"), true)).collect();
    let s = a_silent_node_under_load(&client, &set.master, keys).await;
    s.report("sentinel");
    assert!(s.noticed < Duration::from_millis(1500), "{s:?}");
    assert_eq!(s.collateral, 0, "{s:?}");
    assert!(s.written > 0, "{s:?}");
}

/// Drill 2 through a real partition (a server in a network namespace whose
/// link is cut: packets dropped, no FIN, no RST). Requests due are failed
/// at the peer timeout; a connection idle through the cut is ended by the
/// kernel (keepalive and `TCP_USER_TIMEOUT`) so the request after the cut
/// goes on a new one, where a client without them keeps a connection that
/// only the luck of a healed link saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_server_is_noticed_by_the_peer_timeout_and_by_the_kernel() {
    let _alone = MEASURING.lock().await;
    if let Some(why) = redwire_testkit::Partitioned::unavailable() {
        // CI runs as root; a contributor's run without it says so.
        eprintln!("the partition drill did not run: {why}");
        return;
    }
    let partitioned = redwire_testkit::Partitioned::start()
        .expect("a server in a network namespace of its own (needs root and iproute2)");
    let (host, port) = (partitioned.server.host(), partitioned.server.port());
    let detecting = Client::connect(
        format!("redis://{host}:{port}?peer_timeout=500&keepalive=1000,1000,1&user_timeout=2000")
            .as_str(),
    )
    .await
    .unwrap();
    let blind =
        Client::connect(format!("redis://{host}:{port}?keepalive=0&user_timeout=0").as_str())
            .await
            .unwrap();
    detecting.set::<()>("k", "v").await.unwrap();
    blind.get::<String>("k").await.unwrap();

    // Requests due during the cut: each a timeout that may have been applied.
    let cut = partitioned.cut(Duration::from_secs(10)).unwrap();
    let started = Instant::now();
    let results =
        futures_util::future::join_all((0..50).map(|_| detecting.get::<String>("k"))).await;
    let noticed = started.elapsed();
    assert!(
        noticed >= Duration::from_millis(500) && noticed < Duration::from_millis(1500),
        "{noticed:?}"
    );
    all_timed_out(results);
    drop(cut);
    assert_eq!(detecting.get::<String>("k").await.unwrap(), "v");
    let connections = detecting.stats().shared_connections;

    // Idle through a cut longer than the user timeout: the kernel ends the
    // detecting client's connection (no byte of ours acknowledged, no
    // probe answered); the blind client's survives only because the link
    // came back.
    let cut = partitioned.cut(Duration::from_secs(10)).unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    drop(cut);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(detecting.get::<String>("k").await.unwrap(), "v");
    assert_eq!(
        detecting.stats().shared_connections,
        connections + 1,
        "the idle connection outlived the cut"
    );
    assert_eq!(blind.get::<String>("k").await.unwrap(), "v");
    assert_eq!(blind.stats().shared_connections, 1);
    println!(
        "drill 2 (Rust, a real partition): 50 requests due noticed after {:.2} s (peer timeout 0.5 s); \
         an idle connection ended by the kernel within a 4 s cut (keepalive 1 s/1 s/1, TCP_USER_TIMEOUT 2 s)",
        noticed.as_secs_f64()
    );
}

/// A subscriber of a server stopped with its socket open (nothing said, no
/// FIN) hears of it: quiet for the peer timeout, it sends a `PING`;
/// unanswered as long again, its connection counts as lost, and once the
/// server is back it is subscribed again.
#[tokio::test]
async fn a_subscriber_notices_a_silent_server() {
    use futures_util::StreamExt;

    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://127.0.0.1:{}?peer_timeout=300", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    let mut subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe("quiet").await.unwrap();
    // Quiet, but alive: its PING is answered, nothing is said.
    let quiet = tokio::time::timeout(Duration::from_secs(1), subscriber.next()).await;
    assert!(quiet.is_err(), "{quiet:?}");
    let paused = server.pause(Duration::from_secs(10)).unwrap();
    let started = Instant::now();
    let heard = tokio::time::timeout(Duration::from_secs(5), subscriber.next())
        .await
        .expect("the silence went unnoticed")
        .unwrap();
    let e = heard.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    let noticed = started.elapsed();
    assert!(noticed < Duration::from_millis(1500), "{noticed:?}");
    drop(paused);
    // Subscribed again once the server answers.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        client.publish::<i64>("quiet", "back").await.unwrap();
        match tokio::time::timeout(Duration::from_millis(200), subscriber.next()).await {
            Ok(Some(Ok(message))) => {
                assert_eq!(&message.payload[..], b"back");
                break;
            }
            Ok(Some(Err(e))) => assert!(!e.keeps_connection(), "{e}"),
            _ => assert!(Instant::now() < deadline, "never subscribed again"),
        }
    }
}
