#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! `Client` against every topology: one body, run on a server over TCP
//! (RESP2 and RESP3), a unix socket, TLS, a sentinel set and a cluster.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use redwire::{
    Client, Commands, Config, Error, Execute, Expiry, Frame, Info, Pipeline, ScanOptions, Script,
    SetOptions, Side, StreamEntry, TlsOptions, XRead, ZAddOptions, ZRange,
};
use redwire_testkit::{Cluster, SentinelSet, Server, ServerOptions};

/// What every topology must do the same. Keys share a hash tag, so that a
/// cluster puts them in one slot.
async fn exercise(client: &Client) {
    client.flushdb::<()>().await.unwrap();
    strings(client).await;
    collections(client).await;
    lists(client).await;
    pipelines(client).await;
    scripts(client).await;
    transactions(client).await;
    scans(client).await;
    pubsub(client).await;
    streams(client).await;
    geo_functions_and_info(client).await;
}

fn key(name: &str) -> String {
    format!("{{t}}:{name}")
}

async fn strings(client: &Client) {
    // JSON both ways (feature `serde`).
    #[cfg(feature = "serde")]
    {
        use redwire::Json;
        let value = serde_json::json!({ "name": "ada", "tags": [1, 2] });
        client
            .set::<()>(key("json"), Json(value.clone()))
            .await
            .unwrap();
        let Json(back): Json<serde_json::Value> = client.get(key("json")).await.unwrap();
        assert_eq!(back, value);
        let missing: Option<Json<serde_json::Value>> = client.get(key("nojson")).await.unwrap();
        assert!(missing.is_none());
    }
    // Strings, typed.
    client.set::<()>(key("s"), "hello").await.unwrap();
    let value: Option<String> = client.get(key("s")).await.unwrap();
    assert_eq!(value.as_deref(), Some("hello"));
    let missing: Option<String> = client.get(key("missing")).await.unwrap();
    assert_eq!(missing, None);
    assert_eq!(client.incr::<i64>(key("n"), 5).await.unwrap(), 5);
    let n: u16 = client.get(key("n")).await.unwrap();
    assert_eq!(n, 5);
    let f: f64 = client.incr_float(key("f"), 1.5).await.unwrap();
    assert!((f - 1.5).abs() < f64::EPSILON);
    let binary = b"a\r\nb\0c".to_vec();
    client.set::<()>(key("b"), &binary).await.unwrap();
    assert_eq!(client.get::<Vec<u8>>(key("b")).await.unwrap(), binary);
    let was: Option<String> = client
        .set_options(key("s"), "again", SetOptions::default().ex(100).get())
        .await
        .unwrap();
    assert_eq!(was.as_deref(), Some("hello"));
    let set: bool = client
        .set_options(key("s"), "not", SetOptions::default().nx())
        .await
        .unwrap();
    assert!(!set, "NX on an existing key sets nothing");
    let ttl: i64 = client.ttl(key("s")).await.unwrap();
    assert!((1..=100).contains(&ttl), "{ttl}");
    assert!(!client
        .expire::<bool>(key("s"), 10, Some(Expiry::Gt))
        .await
        .unwrap());

    // A conversion that does not fit is a typed error; the client goes on.
    let err = client.get::<i64>(key("s")).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conversion {
                expected: "i64",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.to_string(), r#"expected i64, got bulk string "again""#);

    // Arguments flatten.
    let keys = vec![key("s"), key("n"), key("missing")];
    let values: Vec<Option<String>> = client.mget(&keys).await.unwrap();
    assert_eq!(
        values,
        [Some("again".to_owned()), Some("5".to_owned()), None]
    );
}

async fn collections(client: &Client) {
    // Maps and scores read the same in RESP2 and RESP3.
    let fields = BTreeMap::from([("name", "ada"), ("born", "1815")]);
    assert_eq!(client.hset::<i64>(key("h"), &fields).await.unwrap(), 2);
    let all: HashMap<String, String> = client.hgetall(key("h")).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all["born"], "1815");
    let mut pairs: Vec<(String, String)> = client.hgetall(key("h")).await.unwrap();
    pairs.sort();
    assert_eq!(pairs[0], ("born".to_owned(), "1815".to_owned()));
    let (name, age): (Option<String>, Option<i64>) =
        client.hmget(key("h"), ("name", "born")).await.unwrap();
    assert_eq!((name.as_deref(), age), (Some("ada"), Some(1815)));

    let added: i64 = client
        .zadd(key("z"), [(1.5, "a"), (3.0, "c"), (2.0, "b")])
        .await
        .unwrap();
    assert_eq!(added, 3);
    let best: Vec<(String, f64)> = client
        .zrange(
            key("z"),
            ZRange::by_score("+inf", 2).rev().limit(0, 5).with_scores(),
        )
        .await
        .unwrap();
    assert_eq!(best, [("c".to_owned(), 3.0), ("b".to_owned(), 2.0)]);
    let score: f64 = client
        .zadd_options(key("z"), ZAddOptions::default().incr(), (10, "a"))
        .await
        .unwrap();
    assert!((score - 11.5).abs() < f64::EPSILON);
    assert_eq!(
        client.zscore::<Option<f64>>(key("z"), "zz").await.unwrap(),
        None
    );

    client
        .sadd::<()>(key("set"), ["x", "y", "x"])
        .await
        .unwrap();
    let members: HashSet<String> = client.smembers(key("set")).await.unwrap();
    assert_eq!(members, HashSet::from(["x".to_owned(), "y".to_owned()]));
}

async fn lists(client: &Client) {
    // Lists, and a blocking pop: on a connection of its own, so it holds
    // up no other command.
    client
        .rpush::<i64>(key("l"), ["1", "2", "3"])
        .await
        .unwrap();
    assert_eq!(
        client.lrange::<Vec<i64>>(key("l"), 0, -1).await.unwrap(),
        [1, 2, 3]
    );
    let moved: String = client
        .lmove(key("l"), key("l2"), Side::Left, Side::Right)
        .await
        .unwrap();
    assert_eq!(moved, "1");
    let waiting = {
        let client = client.clone();
        let queue = key("queue");
        tokio::spawn(async move { client.blpop::<Option<(String, String)>>(queue, 5.0).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    assert_eq!(client.ping::<String>().await.unwrap(), "PONG");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "a blocking command held up the shared connection"
    );
    client.rpush::<()>(key("queue"), "job").await.unwrap();
    let popped = waiting.await.unwrap().unwrap();
    assert_eq!(popped, Some((key("queue"), "job".to_owned())));

    // Many requests at once, from one client.
    let gets = (0..20).map(|_| client.get::<String>(key("n")));
    for value in futures_util::future::join_all(gets).await {
        assert_eq!(value.unwrap(), "5");
    }
}

async fn pipelines(client: &Client) {
    // A typed pipeline; an atomic one.
    let (nothing, value, count): ((), String, i64) = Pipeline::new()
        .set(key("p"), "v")
        .get(key("p"))
        .incr(key("pn"), 2)
        .query(client)
        .await
        .unwrap();
    assert_eq!((nothing, value.as_str(), count), ((), "v", 2));
    let (first, second): (i64, i64) = Pipeline::new()
        .atomic()
        .incr(key("pn"), 1)
        .incr(key("pn"), 1)
        .query(client)
        .await
        .unwrap();
    assert_eq!((first, second), (3, 4));
    // A command the server refuses to queue aborts the transaction.
    let refused = Pipeline::new()
        .atomic()
        .incr(key("pn"), 1)
        .cmd(&["GET"])
        .query::<Frame>(client)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, Error::Server(e) if e.code() == "EXECABORT"
            && e.message().contains("wrong number of arguments")),
        "{refused}"
    );
    // Every executor honours an atomic pipeline: its replies are then
    // MULTI's, each QUEUED and EXEC's.
    let mut atomic = Pipeline::new();
    atomic.atomic().incr(key("pn"), 1);
    let mut held = client.connection(key("pn").as_bytes()).await.unwrap();
    let replies = atomic.query::<Vec<Frame>>(&mut held).await.unwrap();
    assert_eq!(replies, [Frame::Integer(5)]);
    let raw = match client.cluster() {
        Some(cluster) => cluster.pipeline(&atomic).await.unwrap(),
        None => held.pipeline(&atomic).await.unwrap(),
    };
    assert_eq!(raw.len(), 3);
    assert_eq!(
        raw.last().cloned().unwrap().unwrap(),
        Frame::Array(vec![Frame::Integer(6)])
    );
    client.incr::<i64>(key("pn"), -2).await.unwrap();

    // WAIT counts its own connection's writes: alone it is refused, after
    // the writes it runs with them.
    let err = client.query::<i64>(("WAIT", 0, 100)).await.unwrap_err();
    assert!(matches!(err, Error::NeedsOwnConnection { .. }), "{err}");
    let ((), replicas): ((), i64) = Pipeline::new()
        .set(key("w"), 1)
        .cmd(&("WAIT", 0, 100))
        .query(client)
        .await
        .unwrap();
    assert!(replicas >= 0);
    // A stateful command behind a blocking one is refused too.
    let err = Pipeline::new()
        .blpop(key("none"), 0.1)
        .cmd(&["SELECT", "1"])
        .query::<Frame>(client)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NeedsOwnConnection { .. }), "{err}");
    assert_eq!(client.get::<i64>(key("pn")).await.unwrap(), 4);

    // What leaves state on a connection is refused before it is sent.
    for stateful in [
        &["MULTI"][..],
        &["SELECT", "1"],
        &["CLIENT", "REPLY", "OFF"],
    ] {
        let err = client.query::<Frame>(stateful).await.unwrap_err();
        assert!(matches!(err, Error::NeedsOwnConnection { .. }), "{err}");
    }

    // The same methods on a connection the caller holds.
    let mut held = client.connection(key("n").as_bytes()).await.unwrap();
    assert_eq!(incr_on(&mut held, key("n")).await, 6);
    assert_eq!(incr_on(client, key("n")).await, 7);

    let removed: u64 = client
        .del([key("p"), key("pn"), key("none")])
        .await
        .unwrap();
    assert_eq!(removed, 2);
}

async fn scripts(client: &Client) {
    let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    client.query::<()>(("SCRIPT", "FLUSH")).await.unwrap();
    // Not loaded: NOSCRIPT, loaded, run once.
    assert_eq!(add.invoke::<i64>(client, key("sc"), 5).await.unwrap(), 5);
    assert_eq!(add.invoke::<i64>(client, key("sc"), 1).await.unwrap(), 6);
    let mut held = client.connection(key("sc").as_bytes()).await.unwrap();
    assert_eq!(add.invoke::<i64>(&mut held, key("sc"), 1).await.unwrap(), 7);
    // In a pipeline: the server lacks it, it is loaded and run once.
    client.query::<()>(("SCRIPT", "FLUSH")).await.unwrap();
    let (set, added, value): ((), i64, i64) = Pipeline::new()
        .set(key("sp"), 10)
        .invoke(&add, key("sp"), 5)
        .get(key("sp"))
        .query(client)
        .await
        .unwrap();
    assert_eq!((set, added), ((), 15));
    assert_eq!(value, 10, "GET ran before the script was loaded and run");
    client.query::<()>(("SCRIPT", "FLUSH")).await.unwrap();
    let (first, second): (i64, i64) = Pipeline::new()
        .atomic()
        .invoke(&add, key("sp"), 1)
        .invoke(&add, key("sp"), 1)
        .query(client)
        .await
        .unwrap();
    assert_eq!((first, second), (16, 17));
    let broken = Script::new("return +");
    let err = broken.invoke::<Frame>(client, (), ()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code() == "ERR"),
        "{err}"
    );
}

async fn transactions(client: &Client) {
    let counter = key("tx");
    client.set::<()>(&counter, 0).await.unwrap();
    // Tasks adding one each by read-then-write: none lost.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (client, counter) = (client.clone(), counter.clone());
            tokio::spawn(async move {
                client
                    .transaction(&counter, |mut tx| {
                        let counter = counter.clone();
                        async move {
                            let n: i64 = tx.get(&counter).await?;
                            tokio::task::yield_now().await;
                            tx.exec::<((),)>(Pipeline::new().set(&counter, n + 1)).await
                        }
                    })
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(client.get::<i64>(&counter).await.unwrap(), 10);

    // A writer between the read and EXEC: the attempt is aborted, the
    // next one goes through.
    let attempts = std::sync::atomic::AtomicUsize::new(0);
    let n: i64 = client
        .transaction([&counter], |mut tx| {
            let attempt = attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let counter = counter.clone();
            async move {
                let _: i64 = tx.get(&counter).await?;
                if attempt == 0 {
                    client.set::<()>(&counter, 100).await?;
                }
                let (n,): (i64,) = tx.exec(Pipeline::new().incr(&counter, 1)).await?;
                Ok(n)
            }
        })
        .await
        .unwrap();
    assert_eq!((attempts.into_inner(), n), (2, 101));
    // Always interfered with: given up, nothing written by it.
    let err = client
        .transaction(&counter, |tx| {
            let counter = counter.clone();
            async move {
                client.incr::<()>(&counter, 1).await?;
                tx.exec::<Frame>(Pipeline::new().set(&counter, -1)).await
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Aborted), "{err}");
    assert_eq!(
        client.get::<i64>(&counter).await.unwrap(),
        101 + redwire::MAX_TRANSACTION_ATTEMPTS as i64
    );
    // Left without `exec`: its connection, still watching, is not reused.
    let discarded = client.stats().pool.discarded;
    let read: i64 = client
        .transaction(&counter, |mut tx| {
            let counter = counter.clone();
            async move { tx.get(&counter).await }
        })
        .await
        .unwrap();
    assert_eq!(read, 101 + redwire::MAX_TRANSACTION_ATTEMPTS as i64);
    assert_eq!(client.stats().pool.discarded, discarded + 1);
}

async fn scans(client: &Client) {
    use futures_util::TryStreamExt;

    let keys: Vec<String> = (0..300).map(|i| key(&format!("scan:{i}"))).collect();
    let pairs: Vec<(&String, usize)> = keys.iter().zip(0..).collect();
    client.mset::<()>(&pairs).await.unwrap();
    let found: HashSet<String> = client
        .scan(ScanOptions::default().matching("{t}:scan:*").count(50))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found, keys.iter().cloned().collect());
    let strings: Vec<String> = client
        .scan(ScanOptions::default().matching("{t}:*").of_type("hash"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(strings, [key("h")]);

    let fields: Vec<(String, usize)> = (0..200).map(|i| (format!("f{i}"), i)).collect();
    client.hset::<()>(key("big"), &fields).await.unwrap();
    let read: Vec<(String, usize)> = client
        .hscan(key("big"), ScanOptions::default().count(20))
        .try_collect()
        .await
        .unwrap();
    let read: HashMap<String, usize> = read.into_iter().collect();
    assert_eq!(read, fields.into_iter().collect());
    let scored: Vec<(f64, String)> = (0..150).map(|i| (f64::from(i), format!("m{i}"))).collect();
    client.zadd::<()>(key("bigz"), &scored).await.unwrap();
    let read: Vec<(String, f64)> = client
        .zscan(key("bigz"), ScanOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(read.len(), 150);
    assert!(read
        .iter()
        .any(|(m, s)| m == "m42" && (*s - 42.0).abs() < f64::EPSILON));
    // A conversion that does not fit ends the stream with its error.
    let mut wrong =
        Box::pin(client.hscan::<(String, i64, i64)>(key("big"), ScanOptions::default()));
    assert!(matches!(
        wrong.try_next().await,
        Err(Error::Conversion { .. })
    ));
    assert!(wrong.try_next().await.unwrap().is_none());
    client
        .del::<()>((&keys, key("big"), key("bigz")))
        .await
        .unwrap();
}

async fn pubsub(client: &Client) {
    use futures_util::StreamExt;

    let mut subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe(key("news")).await.unwrap();
    subscriber.psubscribe(key("p*")).await.unwrap();
    // On a cluster, PUBLISH counts the subscribers of the node it reached.
    let receivers: i64 = client.publish(key("news"), "hello").await.unwrap();
    assert!(receivers == 1 || client.cluster().is_some());
    client.publish::<i64>(key("pattern"), 42).await.unwrap();
    let first = subscriber.next().await.unwrap().unwrap();
    assert_eq!(
        (
            &first.channel[..],
            first.payload::<String>().unwrap().as_str()
        ),
        (key("news").as_bytes(), "hello")
    );
    let second = subscriber.next().await.unwrap().unwrap();
    assert_eq!(second.pattern.as_deref(), Some(key("p*").as_bytes()));
    assert_eq!(second.payload::<i64>().unwrap(), 42);
    subscriber.unsubscribe(key("news")).await.unwrap();
    client.publish::<i64>(key("news"), "unheard").await.unwrap();
    client
        .publish::<i64>(key("pattern"), "heard")
        .await
        .unwrap();
    let third = subscriber.next().await.unwrap().unwrap();
    assert_eq!(third.payload::<String>().unwrap(), "heard");
    // One channel's messages arrive in the order they were published (on a
    // cluster, each PUBLISH reaches the subscriber's node through the node
    // it was sent to: they all go through the channel's).
    subscriber.subscribe(key("ordered")).await.unwrap();
    for n in 0..60 {
        client.publish::<i64>(key("ordered"), n).await.unwrap();
    }
    for n in 0..60 {
        let message = subscriber.next().await.unwrap().unwrap();
        assert_eq!(message.payload::<i64>().unwrap(), n);
    }
}

async fn streams(client: &Client) {
    let stream = key("stream");
    let first: String = client
        .xadd(&stream, "*", [("temp", "21.5"), ("room", "kitchen")])
        .await
        .unwrap();
    client
        .xadd::<String>(&stream, "*", ("temp", 22))
        .await
        .unwrap();
    assert_eq!(client.xlen::<i64>(&stream).await.unwrap(), 2);
    let entries: Vec<StreamEntry> = client.xrange(&stream, "-", "+", None).await.unwrap();
    assert_eq!(entries[0].id, first);
    assert_eq!(
        entries[0].get::<String>("room").unwrap().as_deref(),
        Some("kitchen")
    );
    assert_eq!(entries[1].get::<i64>("temp").unwrap(), Some(22));

    client
        .xgroup_create::<()>(&stream, "g", "0", true)
        .await
        .unwrap();
    let read: Vec<(String, Vec<StreamEntry>)> = client
        .xreadgroup("g", "c1", XRead::default().count(10), &stream, ">")
        .await
        .unwrap();
    assert_eq!((read[0].0.as_str(), read[0].1.len()), (stream.as_str(), 2));
    let (pending, ..): (i64, Option<String>, Option<String>, Frame) =
        client.xpending(&stream, "g").await.unwrap();
    assert_eq!(pending, 2);
    let (_, claimed, deleted): (String, Vec<StreamEntry>, Vec<String>) = client
        .xautoclaim(&stream, "g", "c2", 0, "0", None)
        .await
        .unwrap();
    assert_eq!((claimed.len(), deleted.len()), (2, 0));
    let ids: Vec<&str> = claimed.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(client.xack::<i64>(&stream, "g", &ids).await.unwrap(), 2);

    // A blocking read, woken by an entry added meanwhile.
    let waiting = {
        let (client, stream) = (client.clone(), stream.clone());
        tokio::spawn(async move {
            client
                .xread::<Option<HashMap<String, Vec<StreamEntry>>>>(
                    XRead::default().block(5000),
                    &stream,
                    "$",
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    client
        .xadd::<String>(&stream, "*", ("temp", 23))
        .await
        .unwrap();
    let woke = waiting.await.unwrap().unwrap().unwrap();
    assert_eq!(woke[&stream][0].get::<i64>("temp").unwrap(), Some(23));
    let nothing: Option<Vec<(String, Vec<StreamEntry>)>> = client
        .xread(XRead::default().block(10), &stream, "$")
        .await
        .unwrap();
    assert_eq!(nothing, None);
}

async fn geo_functions_and_info(client: &Client) {
    let places = key("places");
    let added: i64 = client
        .geoadd(
            &places,
            [
                (13.361_389, 38.115_556, "Palermo"),
                (15.087_269, 37.502_669, "Catania"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(added, 2);
    let km: Option<f64> = client
        .geodist(&places, "Palermo", "Catania", Some("km"))
        .await
        .unwrap();
    assert!((km.unwrap() - 166.27).abs() < 0.1, "{km:?}");
    let positions: Vec<Option<(f64, f64)>> = client
        .geopos(&places, ("Palermo", "Nowhere"))
        .await
        .unwrap();
    assert!(positions[0].is_some_and(|(lon, _)| (lon - 13.36).abs() < 0.01));
    assert_eq!(positions[1], None);
    let near: Vec<String> = client
        .geosearch_radius(&places, 15.0, 37.0, 200.0, "km")
        .await
        .unwrap();
    assert_eq!(near, ["Catania", "Palermo"]);

    let library = "#!lua name=redwiretest\nredis.register_function('get_it', function(keys, args) return redis.call('GET', keys[1]) end)";
    let name: String = client.function_load(library, true).await.unwrap();
    assert_eq!(name, "redwiretest");
    client.set::<()>(key("f"), "via a function").await.unwrap();
    let got: String = client.fcall("get_it", key("f"), ()).await.unwrap();
    assert_eq!(got, "via a function");

    let info: Info = client.info("server").await.unwrap();
    assert!(
        info.get("redis_version")
            .is_some_and(|v| v.starts_with(['6', '7', '8'])),
        "{info:?}"
    );
}

/// Generic code over anything that runs commands.
async fn incr_on(on: impl Execute, key: String) -> i64 {
    on.incr(key, 1).await.unwrap()
}

#[tokio::test]
async fn a_server_over_tcp_in_both_protocols() {
    let server = Server::start(ServerOptions::default()).unwrap();
    for protocol in [2, 3] {
        let url = format!("redis://127.0.0.1:{}?protocol={protocol}", server.port());
        exercise(&Client::connect(url.as_str()).await.unwrap()).await;
    }
}

#[tokio::test]
async fn a_server_over_a_unix_socket() {
    let server = Server::start(ServerOptions::default().unix_socket()).unwrap();
    let url = format!("unix://{}", server.unix_socket().unwrap().display());
    exercise(&Client::connect(url.as_str()).await.unwrap()).await;
}

#[tokio::test]
async fn a_server_over_tls() {
    let server = Server::start(ServerOptions::default().tls()).unwrap();
    let mut tls = TlsOptions::default();
    tls.ca_file = Some(server.tls_files().unwrap().ca_cert.clone());
    let config = Config::default()
        .tcp("127.0.0.1", server.port())
        .unwrap()
        .tls(tls);
    exercise(&Client::connect(config).await.unwrap()).await;
}

#[tokio::test]
async fn a_sentinel_set() {
    let set = SentinelSet::start_with("mymaster", 1, 1).unwrap();
    let url = format!(
        "sentinel://mymaster:m?sentinels=127.0.0.1:{}",
        set.sentinels[0].port()
    );
    exercise(&Client::connect(url.as_str()).await.unwrap()).await;
}

#[tokio::test]
async fn a_cluster() {
    let cluster = Cluster::start().unwrap();
    let url = format!("redis+cluster://127.0.0.1:{}", cluster.nodes[0].port());
    let client = Client::connect(url.as_str()).await.unwrap();
    exercise(&client).await;

    // A transaction over keys of two slots is refused before it is sent.
    let err = Pipeline::new()
        .atomic()
        .set("a", 1)
        .set("b", 1)
        .query::<Frame>(&client)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CrossSlot { .. }), "{err}");
    for key in ["a", "b"] {
        assert_eq!(client.exists::<i64>(key).await.unwrap(), 0);
    }
    a_transaction_follows_its_slot_when_it_moves(&client).await;
    shard_channels_are_subscribed_where_their_slots_are(&client).await;
    // Boxed: large futures.
    Box::pin(a_scan_returns_the_keys_of_a_slot_moved_during_it(
        &client, "done", true,
    ))
    .await;
    Box::pin(a_scan_returns_the_keys_of_a_slot_moved_during_it(
        &client, "half", false,
    ))
    .await;
    Box::pin(a_scan_walks_a_master_whole_while_its_first_slot_moves(
        &client,
    ))
    .await;
}

/// The last master a walk visits hands a slot to the first, after the
/// first was walked and before the last is: its keys are on neither when
/// walked, and the walk goes back to the master that received them — when
/// the move is `finished` (the slot's owner changed) and when it is not
/// (the last master still migrating it). Keys are named after `run`.
async fn a_scan_returns_the_keys_of_a_slot_moved_during_it(
    client: &Client,
    run: &str,
    finished: bool,
) {
    use futures_util::StreamExt;

    let cluster = client.cluster().unwrap();
    let masters = cluster.masters();
    let (to, from) = (&masters[0], masters.last().unwrap());
    let spread: Vec<String> = (0..300).map(|i| format!("{run}:reshard:{{{i}}}")).collect();
    // A hash tag whose slot the last master serves.
    let tag = served_by(cluster, from, run).await;
    let moving: Vec<String> = (0..100).map(|i| format!("{{{tag}}}:reshard:{i}")).collect();
    for key in spread.iter().chain(&moving) {
        client.set::<()>(key, "v").await.unwrap();
    }
    let slot = redwire::key_slot(moving[0].as_bytes());

    let mut found = HashSet::new();
    let mut scan = std::pin::pin!(client.scan::<String>(
        ScanOptions::default()
            .matching(&format!("*{run}*"))
            .count(20)
    ));
    // Walked until the first key of another master than `to`, which is
    // walked first.
    let mut on_to = 0;
    loop {
        let key = scan.next().await.unwrap().unwrap();
        let there = cluster.cmd_on(to, &("EXISTS", &key)).await.is_ok();
        found.insert(key);
        if !there {
            break;
        }
        on_to += 1;
    }
    assert!(on_to > 10, "the first master walked first: {on_to} keys");
    assert!(
        !found.contains(&moving[0]),
        "the moving slot is not walked yet"
    );
    let mut finish = Some(move_slot(cluster, slot, from, to, &moving).await);
    if finished {
        finish.take().unwrap().await;
    }
    while let Some(key) = scan.next().await {
        found.insert(key.unwrap());
    }
    if let Some(finish) = finish {
        finish.await;
    }
    assert_found(&found, spread.iter().chain(&moving));
}

/// The master walked last loses its first slot to the first master while
/// it is walked: it is walked whole still, and the keys of the slot found
/// where they went.
async fn a_scan_walks_a_master_whole_while_its_first_slot_moves(client: &Client) {
    use futures_util::StreamExt;

    let cluster = client.cluster().unwrap();
    let masters = cluster.masters();
    let (to, from) = (&masters[0], masters.last().unwrap());
    // The last master's first slot, from `CLUSTER SLOTS`.
    let Frame::Array(ranges) = cluster.cmd_on(from, &("CLUSTER", "SLOTS")).await.unwrap() else {
        panic!("CLUSTER SLOTS")
    };
    let port: i64 = from.rsplit_once(':').unwrap().1.parse().unwrap();
    let first = ranges
        .iter()
        .filter_map(|range| {
            let Frame::Array(range) = range else {
                return None;
            };
            let Frame::Array(master) = &range[2] else {
                return None;
            };
            (master[1] == Frame::Integer(port)).then_some(&range[0])
        })
        .filter_map(|start| match start {
            Frame::Integer(n) => u16::try_from(*n).ok(),
            _ => None,
        })
        .min()
        .unwrap();
    let in_first: Vec<String> = (0..)
        .map(|n| format!("whole{n}"))
        .filter(|k| redwire::key_slot(k.as_bytes()) == first)
        .take(1)
        .collect();
    let spread: Vec<String> = (0..300).map(|i| format!("whole:{{{i}}}")).collect();
    for key in spread.iter().chain(&in_first) {
        client.set::<()>(key, "v").await.unwrap();
    }
    let mut found = HashSet::new();
    let mut scan =
        std::pin::pin!(client.scan::<String>(ScanOptions::default().matching("whole*").count(5)));
    // Walked until the first key of the last master.
    loop {
        let key = scan.next().await.unwrap().unwrap();
        let there = cluster.cmd_on(from, &("EXISTS", &key)).await.is_ok();
        found.insert(key);
        if there {
            break;
        }
    }
    move_slot(cluster, first, from, to, &in_first).await.await;
    // The client learns it (MOVED) before the walk goes on.
    assert_eq!(client.get::<String>(&in_first[0]).await.unwrap(), "v");
    while let Some(key) = scan.next().await {
        found.insert(key.unwrap());
    }
    assert_found(&found, spread.iter().chain(&in_first));
}

/// Moves `slot` with `keys` from master `from` to master `to`: both told,
/// the keys migrated; what is returned ends the move (every master told
/// who serves it now).
async fn move_slot<'a>(
    cluster: &'a redwire::Cluster,
    slot: u16,
    from: &str,
    to: &'a str,
    keys: &[String],
) -> impl std::future::Future<Output = ()> + 'a {
    let id = |frame: Frame| String::from_utf8_lossy(frame.as_bytes().unwrap()).into_owned();
    let to_id = id(cluster.cmd_on(to, &("CLUSTER", "MYID")).await.unwrap());
    let from_id = id(cluster.cmd_on(from, &("CLUSTER", "MYID")).await.unwrap());
    cluster
        .cmd_on(to, &("CLUSTER", "SETSLOT", slot, "IMPORTING", &from_id))
        .await
        .unwrap();
    cluster
        .cmd_on(from, &("CLUSTER", "SETSLOT", slot, "MIGRATING", &to_id))
        .await
        .unwrap();
    let (host, port) = to.rsplit_once(':').unwrap();
    let migrated: Frame = cluster
        .cmd_on(from, &("MIGRATE", host, port, "", 0, 5000, "KEYS", keys))
        .await
        .unwrap();
    assert_eq!(migrated.as_bytes(), Some(&b"OK"[..]));
    async move {
        for master in cluster.masters() {
            cluster
                .cmd_on(&master, &("CLUSTER", "SETSLOT", slot, "NODE", &to_id))
                .await
                .unwrap();
        }
    }
}

/// Says which of `expected` are not in `found`.
fn assert_found<'a>(found: &HashSet<String>, expected: impl Iterator<Item = &'a String>) {
    let missing: Vec<&String> = expected.filter(|k| !found.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "{} keys missed, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}

/// Shard channels of every master, on one subscriber: each subscribed on
/// its slot's master, heard, subscribed again after its connection is
/// killed, and unsubscribed.
async fn shard_channels_are_subscribed_where_their_slots_are(client: &Client) {
    let cluster = client.cluster().unwrap();
    let masters = cluster.masters();
    // Two channels on each master, of two of the slots it serves (one
    // SSUBSCRIBE may not span slots: they are sent apart, and subscribed
    // again apart after a reconnect).
    let mut channels = Vec::new();
    for master in &masters {
        let (a, b) = (
            served_by(cluster, master, "shard").await,
            served_by(cluster, master, "other").await,
        );
        assert_ne!(
            redwire::key_slot(a.as_bytes()),
            redwire::key_slot(b.as_bytes())
        );
        channels.extend([a, b]);
    }
    let mut subscriber = client.subscriber().await.unwrap();
    subscriber.ssubscribe(&channels).await.unwrap();
    for channel in &channels {
        // Each SPUBLISH reaches its slot's master, where one subscribes.
        let receivers: i64 = client.spublish(channel, channel).await.unwrap();
        assert_eq!(receivers, 1, "{channel}");
    }
    let expected: HashSet<String> = channels.iter().cloned().collect();
    assert_eq!(hear(&mut subscriber, channels.len()).await, expected);
    // Killed on every master: each connection subscribes again.
    for master in &masters {
        let killed: Frame = cluster
            .cmd_on(master, &("CLIENT", "KILL", "TYPE", "pubsub"))
            .await
            .unwrap();
        assert!(
            matches!(killed, Frame::Integer(n) if n >= 1),
            "{master}: {killed:?}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    for channel in &channels {
        while client.spublish::<i64>(channel, channel).await.unwrap() == 0 {
            assert!(Instant::now() < deadline, "{channel} subscribed again");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(hear(&mut subscriber, channels.len()).await, expected);
    subscriber.sunsubscribe(&channels[..1]).await.unwrap();
    assert_eq!(
        client
            .spublish::<i64>(&channels[0], "unheard")
            .await
            .unwrap(),
        0
    );
    subscriber.sunsubscribe(()).await.unwrap();
    for channel in &channels {
        assert_eq!(client.spublish::<i64>(channel, "unheard").await.unwrap(), 0);
    }
}

/// The first name `prefix` + a number whose slot `master` serves (it
/// answers for it, where the others say `MOVED`).
async fn served_by(cluster: &redwire::Cluster, master: &str, prefix: &str) -> String {
    let mut n = 0;
    while cluster
        .cmd_on(master, &("EXISTS", format!("{prefix}{n}")))
        .await
        .is_err()
    {
        n += 1;
    }
    format!("{prefix}{n}")
}

/// The payloads of the next `count` different shard messages; the loss of
/// a connection is let by.
async fn hear(subscriber: &mut redwire::Subscriber, count: usize) -> HashSet<String> {
    use futures_util::StreamExt;

    let mut heard = HashSet::new();
    while heard.len() < count {
        let message = tokio::time::timeout(Duration::from_secs(5), subscriber.next())
            .await
            .expect("a message in time")
            .unwrap();
        match message {
            Ok(message) => {
                assert!(message.sharded);
                heard.insert(message.payload::<String>().unwrap());
            }
            Err(e) => assert!(!e.keeps_connection(), "{e}"),
        }
    }
    heard
}

/// Moves the (empty) slot of a transaction's key to another master behind
/// the client's back: the transaction meets `MOVED` as its command is
/// queued, `EXEC` discards it, and it runs again where the slot went.
async fn a_transaction_follows_its_slot_when_it_moves(client: &Client) {
    let cluster = client.cluster().unwrap();
    let key = "{moving}:k";
    let slot = redwire::key_slot(key.as_bytes());
    // The master serving the slot answers; the others say MOVED.
    let mut from = None;
    for master in cluster.masters() {
        if cluster.cmd_on(&master, &("GET", key)).await.is_ok() {
            from = Some(master);
        }
    }
    let from = from.unwrap();
    let to = cluster.masters().into_iter().find(|m| *m != from).unwrap();
    let to_id: String = String::from_utf8_lossy(
        cluster
            .cmd_on(&to, &("CLUSTER", "MYID"))
            .await
            .unwrap()
            .as_bytes()
            .unwrap(),
    )
    .into_owned();
    for node in [&to, &from] {
        cluster
            .cmd_on(node, &("CLUSTER", "SETSLOT", slot, "NODE", &to_id))
            .await
            .unwrap();
    }
    let (set, value): ((), String) = Pipeline::new()
        .atomic()
        .set(key, "moved")
        .get(key)
        .query(client)
        .await
        .unwrap();
    assert_eq!((set, value.as_str()), ((), "moved"));
    let on_to: Frame = cluster.cmd_on(&to, &("GET", key)).await.unwrap();
    assert_eq!(on_to.as_bytes(), Some(&b"moved"[..]));

    // Now migrating back: a key the source no longer has gets ASK, and the
    // transaction runs on the importing node after ASKING.
    let id = |frame: Frame| String::from_utf8_lossy(frame.as_bytes().unwrap()).into_owned();
    let from_id = id(cluster.cmd_on(&from, &("CLUSTER", "MYID")).await.unwrap());
    cluster
        .cmd_on(&from, &("CLUSTER", "SETSLOT", slot, "IMPORTING", &to_id))
        .await
        .unwrap();
    cluster
        .cmd_on(&to, &("CLUSTER", "SETSLOT", slot, "MIGRATING", &from_id))
        .await
        .unwrap();
    let absent = "{moving}:absent";
    let (set,): ((),) = Pipeline::new()
        .atomic()
        .set(absent, "asked")
        .query(client)
        .await
        .unwrap();
    assert_eq!(set, ());
    let on_from: Frame = cluster
        .cmd_on(&from, &("CLUSTER", "COUNTKEYSINSLOT", slot))
        .await
        .unwrap();
    assert_eq!(on_from, Frame::Integer(1), "written on the importing node");
    for node in [&from, &to] {
        cluster
            .cmd_on(node, &("CLUSTER", "SETSLOT", slot, "STABLE"))
            .await
            .unwrap();
    }
}

/// A server, a client of it, and a subscriber to channels `a` and `b` and
/// pattern `c*`.
async fn subscribed_to_a_b_and_c() -> (Server, Client, redwire::Subscriber) {
    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    let subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe(["a", "b"]).await.unwrap();
    subscriber.psubscribe("c*").await.unwrap();
    (server, client, subscriber)
}

#[tokio::test]
async fn a_subscriber_subscribes_again_after_its_connection_is_killed() {
    use futures_util::StreamExt;

    let (_server, client, mut subscriber) = subscribed_to_a_b_and_c().await;
    subscriber.ssubscribe("s").await.unwrap();
    let killed: i64 = client
        .query(("CLIENT", "KILL", "TYPE", "pubsub"))
        .await
        .unwrap();
    assert_eq!(killed, 1);
    // A subscription asked for while the connection is being made again
    // returns once it is confirmed: what is published then is heard.
    subscriber.subscribe("late").await.unwrap();
    client.publish::<i64>("late", "late").await.unwrap();
    // The loss, once, then the message.
    let lost = subscriber.next().await.unwrap().unwrap_err();
    assert!(!lost.keeps_connection(), "{lost}");
    let late = tokio::time::timeout(Duration::from_secs(2), subscriber.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(&late.payload[..], b"late");
    // Subscribed again to everything: publish until it arrives.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut heard = HashSet::new();
    while heard.len() < 4 {
        assert!(Instant::now() < deadline, "heard only {heard:?}");
        for channel in ["a", "b", "cat"] {
            client.publish::<i64>(channel, channel).await.unwrap();
        }
        client.spublish::<i64>("s", "s").await.unwrap();
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_millis(100), subscriber.next()).await
        {
            heard.insert(message.unwrap().payload::<String>().unwrap());
        }
    }
    assert_eq!(client.stats().in_flight, 0);
}

#[tokio::test]
async fn an_unsubscribe_returns_once_the_server_ran_it() {
    use futures_util::StreamExt;

    let (_server, client, mut subscriber) = subscribed_to_a_b_and_c().await;
    // The server runs no command for 300 ms: the unsubscribes wait.
    client
        .query::<()>(("CLIENT", "PAUSE", 300, "ALL"))
        .await
        .unwrap();
    let paused = Instant::now();
    subscriber.unsubscribe(()).await.unwrap();
    subscriber.punsubscribe("c*").await.unwrap();
    let waited = paused.elapsed();
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    // What is published now is not heard; the last, on a new channel, is.
    subscriber.subscribe("d").await.unwrap();
    for channel in ["a", "b", "cat", "d"] {
        client.publish::<i64>(channel, channel).await.unwrap();
    }
    let heard = subscriber.next().await.unwrap().unwrap();
    assert_eq!(&heard.payload[..], b"d");
}

#[tokio::test]
async fn a_quiet_subscriber_is_not_timed_out_by_the_read_timeout() {
    use futures_util::StreamExt;

    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://127.0.0.1:{}?read_timeout=100", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    let mut subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe("quiet").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.publish::<i64>("quiet", "at last").await.unwrap();
    let first = subscriber.next().await.unwrap();
    assert_eq!(&first.unwrap().payload[..], b"at last");
    assert_eq!(client.stats().shared_connections, 1);
}

/// A client of `server` and its subscriber to "flood", past whose buffer
/// `sent` messages were published and left unread for `settle` (its task
/// reads them all meanwhile).
async fn flooded(server: &Server, sent: usize, settle: Duration) -> (Client, redwire::Subscriber) {
    let url = format!("redis://127.0.0.1:{}", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    let subscriber = client.subscriber().await.unwrap();
    subscriber.subscribe("flood").await.unwrap();
    let mut pipeline = Pipeline::new();
    for i in 0..sent {
        pipeline.publish("flood", i);
    }
    pipeline.query::<Vec<i64>>(&client).await.unwrap();
    tokio::time::sleep(settle).await;
    (client, subscriber)
}

#[tokio::test]
async fn a_subscriber_not_read_drops_past_its_buffer_and_says_how_many() {
    use futures_util::StreamExt;

    let server = Server::start(ServerOptions::default()).unwrap();
    let sent = redwire::SUBSCRIBER_BUFFER + 1000;
    let (client, mut subscriber) = flooded(&server, sent, Duration::from_millis(500)).await;
    // Every message is either read or counted as dropped, the count told
    // as soon as the reader makes room.
    let (mut received, mut dropped) = (0, 0);
    while received + dropped < sent as u64 {
        match tokio::time::timeout(Duration::from_secs(5), subscriber.next())
            .await
            .unwrap()
        {
            Some(Ok(_)) => received += 1,
            Some(Err(Error::Lagged { dropped: n, .. })) => dropped += n,
            other => panic!("{other:?}"),
        }
    }
    assert!(dropped >= 1000, "{dropped} dropped");
    assert_eq!(received + dropped, sent as u64);
    // And it goes on.
    client.publish::<i64>("flood", "after").await.unwrap();
    let after = subscriber.next().await.unwrap().unwrap();
    assert_eq!(&after.payload[..], b"after");
}

#[tokio::test]
async fn a_subscriber_with_a_full_buffer_still_says_its_connection_was_lost() {
    use futures_util::StreamExt;

    let server = Server::start(ServerOptions::default()).unwrap();
    let sent = redwire::SUBSCRIBER_BUFFER + 10;
    let (client, mut subscriber) = flooded(&server, sent, Duration::from_millis(300)).await;
    // The buffer is full when the connection is lost.
    let killed: i64 = client
        .query(("CLIENT", "KILL", "TYPE", "pubsub"))
        .await
        .unwrap();
    assert_eq!(killed, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut received, mut dropped, mut losses) = (0, 0, 0);
    while received + dropped < sent as u64 || losses == 0 {
        match tokio::time::timeout(Duration::from_secs(5), subscriber.next())
            .await
            .unwrap_or_else(|_| panic!("{received} received, {dropped} dropped, {losses} losses"))
        {
            Some(Ok(_)) => received += 1,
            Some(Err(Error::Lagged { dropped: n, .. })) => dropped += n,
            Some(Err(e)) => {
                assert!(!e.keeps_connection(), "{e}");
                losses += 1;
            }
            None => panic!("the stream ended"),
        }
    }
    assert_eq!((received + dropped, losses), (sent as u64, 1));
}

#[tokio::test]
async fn a_subscriber_says_its_loss_while_the_server_stays_away() {
    use futures_util::StreamExt;

    let mut server = Server::start(ServerOptions::default()).unwrap();
    let sent = redwire::SUBSCRIBER_BUFFER + 10;
    let (_client, mut subscriber) = flooded(&server, sent, Duration::from_millis(300)).await;
    // Gone while the buffer is full, and not back: the reader, once it
    // made room, hears of the loss (and of the first failed reconnect)
    // all the same, in order after the count of messages dropped.
    server.kill_process();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut heard = Vec::new();
    while heard
        .iter()
        .filter(|e: &&Error| !e.keeps_connection())
        .count()
        < 2
    {
        match tokio::time::timeout(Duration::from_secs(5), subscriber.next()).await {
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => heard.push(e),
            other => panic!("after {heard:?}: {other:?}"),
        }
    }
    assert!(
        matches!(heard[0], Error::Lagged { dropped: 10, .. }),
        "{heard:?}"
    );
    assert_eq!(heard.len(), 3, "{heard:?}");
}

#[tokio::test]
async fn a_request_surely_not_sent_rides_out_a_restart_and_none_is_sent_twice() {
    let mut server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://127.0.0.1:{}", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    client.set::<()>("k", 1).await.unwrap();
    server.kill_process();
    // The idle connection sees the server go (a request written to it
    // before that may have run: it would not be sent again).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let restart = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        server.restart().unwrap();
        server
    });
    // The connection is refused until the server is back: sent then.
    let started = Instant::now();
    let n: i64 = client.incr("counter", 1).await.unwrap();
    assert_eq!(n, 1, "applied once");
    assert!(started.elapsed() >= Duration::from_millis(150));
    let server = restart.join().unwrap();

    // With no retries, the refusal is the caller's at once.
    let options = redwire::ClientOptions::default().max_retries(0);
    let config: Config = url.parse().unwrap();
    let once = Client::connect_with(config, options).await.unwrap();
    drop(server);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = once.get::<Option<String>>("k").await.unwrap_err();
    assert!(err.is_retryable() && !err.may_have_been_applied(), "{err}");
}

#[tokio::test]
async fn a_refused_handshake_fails_every_waiting_request_at_once() {
    let server = Server::start(ServerOptions::default().password("first")).unwrap();
    let url = format!("redis://:first@127.0.0.1:{}", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    // The password changes and the connection goes: connecting again is
    // refused, and stays so.
    client
        .query::<()>(("CONFIG", "SET", "requirepass", "second"))
        .await
        .unwrap();
    let admin: Config = format!("redis://:second@127.0.0.1:{}", server.port())
        .parse()
        .unwrap();
    let mut admin = redwire::Connection::connect(&admin).await.unwrap();
    let killed = admin
        .cmd(&("CLIENT", "KILL", "TYPE", "normal"))
        .await
        .unwrap();
    assert_eq!(killed, Frame::Integer(1));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let gets = (0..20).map(|_| client.get::<Option<String>>("k"));
    for result in futures_util::future::join_all(gets).await {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        assert!(!err.is_retryable(), "{err}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "not retried: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_lazy_client_is_made_outside_a_runtime_and_connects_on_first_use() {
    use futures_util::TryStreamExt;

    let server = Server::start(ServerOptions::default()).unwrap();
    let cluster = Cluster::start().unwrap();
    let options = redwire::ClientOptions::default;
    let lazy = |url: String| Client::lazy(url.parse().unwrap(), options()).unwrap();
    let one = lazy(format!("redis://127.0.0.1:{}", server.port()));
    let many = lazy(format!(
        "redis+cluster://127.0.0.1:{}",
        cluster.nodes[0].port()
    ));
    let nobody = Client::lazy(
        format!("redis://127.0.0.1:{}", support::dead_port())
            .parse()
            .unwrap(),
        options().max_retries(0),
    )
    .unwrap();
    assert!(many.cluster().is_none(), "not reached yet");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for client in [&one, &many] {
            client.set::<()>("{lazy}k", "v").await.unwrap();
            assert_eq!(client.get::<String>("{lazy}k").await.unwrap(), "v");
        }
        assert!(many.cluster().is_some());
        let keys: Vec<String> = many
            .scan(ScanOptions::default().matching("{lazy}*"))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(keys, ["{lazy}k"]);
        let err = nobody.get::<Option<String>>("k").await.unwrap_err();
        assert!(err.is_retryable(), "{err}");
    });
}

#[tokio::test]
async fn a_wrong_address_fails_at_connect() {
    let port = support::dead_port();
    let err = Client::connect(format!("redis://127.0.0.1:{port}").as_str())
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}
