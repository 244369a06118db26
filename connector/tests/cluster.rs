#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! `redis+cluster://` against a real cluster: 3 masters, 3 replicas.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redwire::{
    key_slot, ClientOptions, Cluster, Commands, Config, Connection, Error, Frame, Pipeline,
};
use redwire_testkit::{Cluster as TestCluster, Server};

async fn client(cluster: &TestCluster) -> Cluster {
    client_with(cluster, ClientOptions::default()).await
}

async fn client_with(cluster: &TestCluster, options: ClientOptions) -> Cluster {
    // One seed is enough: the rest is discovered.
    let seed = &cluster.nodes[0];
    let config: Config = format!("redis+cluster://127.0.0.1:{}", seed.port())
        .parse()
        .unwrap();
    Cluster::connect(config, options).await.unwrap()
}

/// A plain connection to one node, outside the client under test.
async fn node(port: u16) -> Connection {
    let config: Config = format!("redis://127.0.0.1:{port}").parse().unwrap();
    Connection::connect(&config).await.unwrap()
}

fn text(frame: &Frame) -> String {
    String::from_utf8_lossy(frame.as_bytes().unwrap()).into_owned()
}

/// The node's role, from `ROLE`.
async fn role(port: u16) -> String {
    let Frame::Array(role) = node(port).await.cmd(&["ROLE"]).await.unwrap() else {
        panic!("ROLE")
    };
    text(&role[0])
}

async fn masters(cluster: &TestCluster) -> Vec<u16> {
    let mut masters = Vec::new();
    for server in cluster.nodes.iter().filter(|n| n.is_running()) {
        if role(server.port()).await == "master" {
            masters.push(server.port());
        }
    }
    masters
}

#[tokio::test]
async fn slots_match_the_servers_and_keys_land_where_their_slot_is_served() {
    let cluster = TestCluster::start().unwrap();
    let client = client(&cluster).await;
    assert_eq!(client.masters().len(), 3);

    // The client's slots are the server's, hash tags included.
    let mut any = node(cluster.nodes[0].port()).await;
    for key in [
        "",
        "a",
        "{user1000}.following",
        "foo{}{bar}",
        "foo{{bar}}zap",
        "{",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain((0..500).map(|i| format!("key:{i}")))
    {
        let Frame::Integer(slot) = any.cmd(&["CLUSTER", "KEYSLOT", &key]).await.unwrap() else {
            panic!("KEYSLOT")
        };
        assert_eq!(i64::from(key_slot(key.as_bytes())), slot, "{key:?}");
    }

    // 10 000 keys from 20 tasks; a node accepts a key only for a slot it
    // serves, so each write landing proves the routing.
    let client = Arc::new(client);
    let mut tasks = Vec::new();
    for task in 0..20 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..500 {
                let key = format!("k:{task}:{i}");
                client.cmd(&("SET", &key, i)).await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    for task in 0..20 {
        for i in (0..500).step_by(7) {
            let value = client
                .cmd(&["GET", &format!("k:{task}:{i}")])
                .await
                .unwrap();
            assert_eq!(text(&value), i.to_string());
        }
    }
    let mut total = 0;
    for port in masters(&cluster).await {
        let Frame::Integer(keys) = node(port).await.cmd(&["DBSIZE"]).await.unwrap() else {
            panic!("DBSIZE")
        };
        assert!(keys > 2500, "master {port} holds only {keys} keys");
        total += keys;
    }
    assert_eq!(total, 10_000);
}

#[tokio::test]
async fn a_pipeline_across_all_slots_returns_in_order_with_errors_in_place() {
    let cluster = TestCluster::start().unwrap();
    let client = client(&cluster).await;
    let mut pipeline = Pipeline::new();
    for i in 0..500 {
        pipeline.cmd(&("SET", format!("p:{i}"), format!("v{i}")));
        pipeline.cmd(&["GET", &format!("p:{i}")]);
    }
    // An error reply stays in its place; the pipeline goes on.
    pipeline.cmd(&["INCR", "p:7"]);
    pipeline.cmd(&["PING"]);
    let replies = client.pipeline(&pipeline).await.unwrap();
    assert_eq!(replies.len(), 1002);
    for i in 0..500 {
        assert_eq!(text(replies[2 * i].as_ref().unwrap()), "OK");
        assert_eq!(text(replies[2 * i + 1].as_ref().unwrap()), format!("v{i}"));
    }
    let err = replies[1000].as_ref().unwrap_err();
    assert!(err.message().contains("not an integer"), "{err}");
    assert_eq!(text(replies[1001].as_ref().unwrap()), "PONG");

    // A write and its WAIT go to the same node.
    let mut pipeline = Pipeline::new();
    pipeline
        .cmd(&["SET", "waited", "1"])
        .cmd(&["WAIT", "1", "1000"]);
    let replies = client.pipeline(&pipeline).await.unwrap();
    assert!(matches!(replies[1], Ok(Frame::Integer(1))), "{replies:?}");

    // Keys of different slots in one command: the server's CROSSSLOT.
    let err = client.cmd(&["MSET", "a", "1", "b", "2"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code() == "CROSSSLOT"),
        "{err}"
    );
    // One hash tag, one slot: fine.
    client
        .cmd(&["MSET", "{t}a", "1", "{t}b", "2"])
        .await
        .unwrap();
}

#[tokio::test]
async fn scripts_run_by_their_first_key_and_survive_a_flush() {
    let cluster = TestCluster::start().unwrap();
    let client = client(&cluster).await;
    let source = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    client.load_script("incr", source).await.unwrap();
    // Keys on every master.
    for i in 0..30 {
        let reply = client
            .run_script("incr", &[format!("s:{i}")], &["5"])
            .await
            .unwrap();
        assert_eq!(reply, Frame::Integer(5));
    }
    // SCRIPT FLUSH reaches every master; NOSCRIPT then loads it again.
    client.cmd(&["SCRIPT", "FLUSH"]).await.unwrap();
    for port in masters(&cluster).await {
        let Frame::Array(exists) = node(port)
            .await
            .cmd(&[
                "SCRIPT",
                "EXISTS",
                "0123456789012345678901234567890123456789",
            ])
            .await
            .unwrap()
        else {
            panic!("SCRIPT EXISTS")
        };
        assert_eq!(exists, vec![Frame::Integer(0)]);
    }
    for i in 0..30 {
        let reply = client
            .run_script("incr", &[format!("s:{i}")], &["1"])
            .await
            .unwrap();
        assert_eq!(reply, Frame::Integer(6));
    }
}

#[tokio::test]
async fn reads_go_to_replicas_when_asked() {
    let cluster = TestCluster::start().unwrap();
    let writer = client(&cluster).await;
    let reader = client_with(&cluster, ClientOptions::default().read_from_replicas(true)).await;
    let mut pipeline = Pipeline::new();
    for i in 0..100 {
        pipeline.cmd(&("SET", format!("r:{i}"), i));
    }
    pipeline.cmd(&["WAIT", "1", "1000"]);
    writer.pipeline(&pipeline).await.unwrap();
    // Every master's replica is caught up before reading.
    for port in masters(&cluster).await {
        node(port).await.cmd(&["WAIT", "1", "1000"]).await.unwrap();
    }
    for i in 0..100 {
        let value = reader.cmd(&["GET", &format!("r:{i}")]).await.unwrap();
        assert_eq!(text(&value), i.to_string());
    }
    let mut replica_gets = 0;
    for server in &cluster.nodes {
        if role(server.port()).await == "slave" {
            let info = node(server.port())
                .await
                .cmd(&["INFO", "commandstats"])
                .await
                .unwrap();
            replica_gets += text(&info)
                .lines()
                .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
                .and_then(|rest| rest.split(',').next())
                .map_or(0, |n| n.parse::<u32>().unwrap());
        }
    }
    assert_eq!(replica_gets, 100);
}

#[tokio::test]
async fn cluster_configs_are_checked() {
    let err = Cluster::connect(
        "redis://127.0.0.1:6379".parse().unwrap(),
        ClientOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("redis+cluster://"), "{err}");
    let err = "redis+cluster://127.0.0.1:7000/2"
        .parse::<Config>()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid db: must be 0 (a cluster serves only db 0), got "2""#
    );
    let config: Config = "rediss+cluster://app:s3cret@[::1]:7000,10.0.0.2:7001"
        .parse()
        .unwrap();
    assert_eq!(
        config.to_string(),
        "rediss+cluster://app:***@[::1]:7000,10.0.0.2:7001"
    );
    // A plain connection refuses a cluster endpoint.
    let err = Connection::connect(&config).await.unwrap_err();
    assert!(err.to_string().contains("redwire::Cluster"), "{err}");
    // No seed answers: each seed's error.
    let dead = support::dead_port();
    let err = Cluster::connect(
        format!("redis+cluster://127.0.0.1:{dead}").parse().unwrap(),
        ClientOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{dead}")),
        "{err}"
    );
}

/// The node ids of a master and another master, by port.
async fn node_id(port: u16) -> String {
    text(&node(port).await.cmd(&["CLUSTER", "MYID"]).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_resharding_under_load_loses_no_command() {
    let cluster = TestCluster::start().unwrap();
    let client = Arc::new(client(&cluster).await);
    let masters = masters(&cluster).await;
    let (from, to) = (node_id(masters[0]).await, node_id(masters[1]).await);
    let before = served_slots(masters[1]).await;

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for task in 0..20 {
        let (client, stop) = (client.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            // Each task owns its keys: the last value written must be read.
            let mut last: HashMap<String, u64> = HashMap::new();
            let mut failures = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
                let key = format!("m:{task}:{}", n % 200);
                match client.cmd(&("SET", &key, n)).await {
                    Ok(_) => {
                        last.insert(key.clone(), n);
                    }
                    Err(e) => failures.push(format!("SET {key}: {e}")),
                }
                match client.cmd(&["GET", &key]).await {
                    Ok(value) if value.as_bytes() == Some(last[&key].to_string().as_bytes()) => {}
                    Ok(value) => failures.push(format!("GET {key}: {value:?}")),
                    Err(e) => failures.push(format!("GET {key}: {e}")),
                }
                n += 1;
            }
            (last, failures, n)
        }));
    }
    // Let the load start, then move 2000 slots between masters.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seed = format!("127.0.0.1:{}", masters[0]);
    let reshard = tokio::task::spawn_blocking(move || {
        std::process::Command::new("redis-cli")
            .args([
                "--cluster",
                "reshard",
                &seed,
                "--cluster-from",
                &from,
                "--cluster-to",
                &to,
                "--cluster-slots",
                "2000",
                "--cluster-yes",
                "--cluster-pipeline",
                "10",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        reshard.status.success(),
        "{}",
        String::from_utf8_lossy(&reshard.stdout)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut commands = 0;
    for task in tasks {
        let (last, failures, n) = task.await.unwrap();
        assert!(failures.is_empty(), "{failures:?}");
        commands += n * 2;
        for (key, value) in last {
            let read = client.cmd(&["GET", &key]).await.unwrap();
            assert_eq!(text(&read), value.to_string(), "{key}");
        }
    }
    println!("{commands} commands during the resharding, none failed");
    // The slots did move.
    assert_eq!(served_slots(masters[1]).await, before + 2000);
}

/// How many slots the node at `port` serves, from its `CLUSTER NODES` line.
async fn served_slots(port: u16) -> usize {
    let nodes = node(port).await.cmd(&["CLUSTER", "NODES"]).await.unwrap();
    let text = text(&nodes);
    let mine = text.lines().find(|l| l.contains("myself")).unwrap();
    mine.split(' ')
        .skip(8)
        .filter(|range| !range.starts_with('['))
        .map(|range| match range.split_once('-') {
            Some((a, b)) => b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1,
            None => 1,
        })
        .sum()
}

/// How a failover drill takes a master away.
enum Trigger {
    /// `CLUSTER FAILOVER` on its replica.
    Failover,
    /// Killing the master process.
    Kill,
}

/// Writes acknowledged by a replica (`WAIT`) before a master goes away
/// are all readable after, and a writer through the client resumes on the
/// keys of the lost master within 15 s. Returns the time to recover.
async fn failover_drill(trigger: Trigger) -> Duration {
    let mut cluster = TestCluster::start().unwrap();
    let client = client(&cluster).await;
    let victim = masters(&cluster).await[0];
    // Keys served by the victim.
    let mut victim_node = node(victim).await;
    let mut keys = Vec::new();
    for i in 0.. {
        let key = format!("f:{i}");
        // The victim serves the key's slot when it answers a read of it.
        if victim_node.cmd(&["EXISTS", &key]).await.is_ok() {
            keys.push(key);
        }
        if keys.len() == 100 {
            break;
        }
    }
    drop(victim_node);
    let mut acknowledged = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut pipeline = Pipeline::new();
        pipeline.cmd(&("SET", key, i)).cmd(&["WAIT", "1", "1000"]);
        let replies = client.pipeline(&pipeline).await.unwrap();
        if replies[1] == Ok(Frame::Integer(1)) {
            acknowledged.push((key.clone(), i));
        }
    }
    assert_eq!(acknowledged.len(), 100, "writes acknowledged by a replica");

    let replica = {
        let mut found = None;
        for server in &cluster.nodes {
            let info = node(server.port())
                .await
                .cmd(&["INFO", "replication"])
                .await
                .unwrap();
            if text(&info).contains(&format!("master_port:{victim}")) {
                found = Some(server.port());
            }
        }
        found.expect("the victim's replica")
    };
    let triggered = Instant::now();
    match trigger {
        Trigger::Failover => {
            node(replica)
                .await
                .cmd(&["CLUSTER", "FAILOVER"])
                .await
                .unwrap();
        }
        Trigger::Kill => cluster
            .nodes
            .iter_mut()
            .find(|n| n.port() == victim)
            .map(Server::kill_process)
            .unwrap(),
    }
    // A writer on the victim's keys, through the client only.
    let deadline = triggered + Duration::from_secs(30);
    let (mut promoted, mut recovered) = (None, None);
    let mut i = 0;
    while Instant::now() < deadline {
        let key = &keys[i % keys.len()];
        // Promoted first, so the write that succeeds went to the new master.
        if role(replica).await == "master" {
            promoted.get_or_insert(triggered.elapsed());
            if client
                .cmd(&("SET", format!("{key}:after"), i))
                .await
                .is_ok()
            {
                recovered = Some(triggered.elapsed());
                break;
            }
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recovered = recovered.expect("the writer never resumed");
    println!(
        "the replica was master after {:?}",
        promoted.unwrap_or_default()
    );
    assert!(recovered <= Duration::from_secs(15), "{recovered:?}");
    for (key, value) in &acknowledged {
        let read = client.cmd(&["GET", key]).await.unwrap();
        assert_eq!(text(&read), value.to_string(), "{key} lost");
    }
    recovered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_follows_a_cluster_failover_command() {
    let took = failover_drill(Trigger::Failover).await;
    println!("writes resumed {took:?} after CLUSTER FAILOVER");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_follows_a_killed_master() {
    let took = failover_drill(Trigger::Kill).await;
    println!("writes resumed {took:?} after the master was killed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_connections_keep_blocking_commands_transactions_and_barriers_apart() {
    let cluster = TestCluster::start().unwrap();
    let client = Arc::new(client(&cluster).await);

    // A blocking command takes a connection of its own: others go on.
    let blocked = {
        let client = client.clone();
        tokio::spawn(async move { client.cmd(&["BLPOP", "queue", "2"]).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    for i in 0..50 {
        client.cmd(&("SET", format!("b:{i}"), i)).await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "commands waited for BLPOP: {:?}",
        started.elapsed()
    );
    client.cmd(&["RPUSH", "queue", "job"]).await.unwrap();
    let Frame::Array(popped) = blocked.await.unwrap().unwrap() else {
        panic!("BLPOP")
    };
    assert_eq!(text(&popped[1]), "job");

    // Transactions need a connection of their own.
    let err = client.cmd(&["MULTI"]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "MULTI leaves state on its connection, which this client shares: hold a connection of your own for it (Client::connection, Cluster::connection_for), or send MULTI ... EXEC as one transaction (an atomic pipeline)"
    );
    let mut pipeline = Pipeline::new();
    pipeline.cmd(&["SET", "x", "1"]).cmd(&["EXEC"]);
    assert!(matches!(
        client.pipeline(&pipeline).await,
        Err(Error::NeedsOwnConnection { .. })
    ));
    let mut own = client.connection_for(b"{acct}").await.unwrap();
    own.cmd(&["MULTI"]).await.unwrap();
    own.cmd(&["INCRBY", "{acct}a", "5"]).await.unwrap();
    own.cmd(&["INCRBY", "{acct}b", "7"]).await.unwrap();
    let Frame::Array(done) = own.cmd(&["EXEC"]).await.unwrap() else {
        panic!("EXEC")
    };
    assert_eq!(done, vec![Frame::Integer(5), Frame::Integer(7)]);
    drop(own);

    // A per-node command is a barrier inside a pipeline.
    let mut pipeline = Pipeline::new();
    pipeline
        .cmd(&["SET", "before", "1"])
        .cmd(&["FLUSHALL"])
        .cmd(&["SET", "after", "1"])
        .cmd(&["EXISTS", "before"])
        .cmd(&["EXISTS", "after"]);
    let replies = client.pipeline(&pipeline).await.unwrap();
    assert_eq!(replies[3], Ok(Frame::Integer(0)), "{replies:?}");
    assert_eq!(replies[4], Ok(Frame::Integer(1)), "{replies:?}");

    // A shared connection the server closed while idle is made again,
    // without an error reaching the caller.
    for port in masters(&cluster).await {
        node(port)
            .await
            .cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"])
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..50 {
        let value = client.cmd(&["GET", &format!("after{i}")]).await.unwrap();
        assert!(value.is_null());
    }
}

/// `name`'s calls on the node at `port`, from `INFO commandstats`.
async fn calls(port: u16, name: &str) -> u64 {
    let info = text(
        &node(port)
            .await
            .cmd(&["INFO", "commandstats"])
            .await
            .unwrap(),
    );
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("cmdstat_{name}:calls=")))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_that_keep_state_never_reach_a_nodes_shared_connection() {
    let cluster = TestCluster::start().unwrap();
    let client = Arc::new(client(&cluster).await);
    // (Not SELECT: replicas get one in their replication stream.)
    let watched = [
        "client|reply",
        "client|tracking",
        "client|setname",
        "auth",
        "hello",
        "reset",
        "monitor",
    ];
    let mut before = Vec::new();
    for server in &cluster.nodes {
        for name in watched {
            before.push(calls(server.port(), name).await);
        }
    }
    // Callers sharing the nodes' connections all along.
    let callers: Vec<_> = (0..20)
        .map(|caller| {
            let client = client.clone();
            tokio::spawn(async move {
                for i in 0..100 {
                    let value = format!("{caller}:{i}");
                    let key = format!("echo:{caller}");
                    client.cmd(&("SET", &key, &value)).await.unwrap();
                    let read = client.cmd(&["GET", &key]).await.unwrap();
                    assert_eq!(text(&read), value);
                }
            })
        })
        .collect();
    for command in [
        &["CLIENT", "REPLY", "OFF"][..],
        &["CLIENT", "REPLY", "SKIP"],
        &["CLIENT", "TRACKING", "ON"],
        &["CLIENT", "SETNAME", "stolen"],
        &["SELECT", "0"],
        &["AUTH", "nobody", "nothing"],
        &["HELLO", "3"],
        &["RESET"],
        &["MONITOR"],
        &["READONLY"],
        &["SUBSCRIBE", "news"],
        &["SSUBSCRIBE", "news"],
        &["MULTI"],
        &["WATCH", "k"],
    ] {
        let err = client.cmd(command).await.unwrap_err();
        assert!(
            matches!(&err, Error::NeedsOwnConnection { command: c } if c == command[0]),
            "{command:?}: {err}"
        );
        // Not the pipeline's message: the caller did use cmd.
        assert!(err.to_string().contains("Cluster::connection_for"), "{err}");
        let mut pipeline = Pipeline::new();
        pipeline.cmd(&["GET", "k"]).cmd(command);
        assert!(matches!(
            client.pipeline(&pipeline).await,
            Err(Error::NeedsOwnConnection { .. })
        ));
    }
    for caller in callers {
        caller.await.unwrap();
    }
    // Nothing of them was sent anywhere.
    let mut after = Vec::new();
    for server in &cluster.nodes {
        for name in watched {
            after.push(calls(server.port(), name).await);
        }
    }
    assert_eq!(before, after, "{watched:?} reached a node");
    // A blocking command still runs, on a connection of its own.
    assert!(client
        .cmd(&["BLPOP", "nothing", "0.1"])
        .await
        .unwrap()
        .is_null());
}

#[tokio::test]
async fn a_named_node_answers_for_itself_and_scan_walks_every_master() {
    let cluster = TestCluster::start().unwrap();
    let client = client(&cluster).await;
    let mut pipeline = Pipeline::new();
    for i in 0..1000 {
        pipeline.cmd(&("SET", format!("scan:{i}"), i));
    }
    client.pipeline(&pipeline).await.unwrap();
    // A cursor means something on one node only: refused as a whole.
    let err = client.cmd(&["SCAN", "0"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::NeedsNode { command } if command == "SCAN"),
        "{err}"
    );
    // Each master's own keys, aimed at it.
    let mut total = 0;
    for master in client.masters() {
        let Frame::Integer(keys) = client.cmd_on(&master, &["DBSIZE"]).await.unwrap() else {
            panic!("DBSIZE")
        };
        assert!(keys > 0 && keys < 1000, "{master}: {keys}");
        total += keys;
    }
    assert_eq!(total, 1000);
    assert!(matches!(
        client.cmd_on(&client.masters()[0], &["MULTI"]).await,
        Err(Error::NeedsOwnConnection { .. })
    ));
    for stranger in ["no-port", "127.0.0.1:1"] {
        assert!(matches!(
            client.cmd_on(stranger, &["PING"]).await,
            Err(Error::Config(_))
        ));
    }
    // Every key, from every master.
    let mut scan = client.scan(&["MATCH", "scan:*", "COUNT", "100"]);
    let mut seen = std::collections::HashSet::new();
    while let Some(keys) = scan.next_batch().await.unwrap() {
        assert!(!keys.is_empty());
        seen.extend(keys);
    }
    assert_eq!(seen.len(), 1000);
    assert!(scan.next_batch().await.unwrap().is_none(), "a walk ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_survives_the_failover_of_the_master_it_walks() {
    let mut cluster = TestCluster::start().unwrap();
    let mut options = ClientOptions::default();
    // Room for the failover (2 s node timeout, then the election).
    options.max_retries = 64;
    let client = client_with(&cluster, options).await;
    let mut pipeline = Pipeline::new();
    for i in 0..600 {
        // Each write on a replica before the kill: none lost to it.
        pipeline
            .cmd(&("SET", format!("walk:{i}"), i))
            .cmd(&["WAIT", "1", "5000"]);
    }
    let replies = client.pipeline(&pipeline).await.unwrap();
    for wait in replies.iter().skip(1).step_by(2) {
        assert_eq!(wait, &Ok(Frame::Integer(1)), "a write not on its replica");
    }
    let mut scan = client.scan(&["COUNT", "10"]);
    let first = scan.next_batch().await.unwrap().unwrap();
    let mut seen: std::collections::HashSet<_> = first.iter().cloned().collect();
    // Kill the master the walk is on: the one serving its first key.
    let key = String::from_utf8_lossy(&first[0]).into_owned();
    let mut victim = None;
    for port in masters(&cluster).await {
        if node(port).await.cmd(&["EXISTS", &key]).await.is_ok() {
            victim = Some(port);
        }
    }
    let victim = victim.expect("the master of the walk");
    cluster
        .nodes
        .iter_mut()
        .find(|n| n.port() == victim)
        .map(Server::kill_process)
        .unwrap();
    while let Some(keys) = scan.next_batch().await.unwrap() {
        seen.extend(keys);
    }
    let expected: std::collections::HashSet<_> = (0..600)
        .map(|i| redwire::Payload::from(format!("walk:{i}")))
        .collect();
    let missing: Vec<_> = expected.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "{} keys missed: {missing:?}",
        missing.len()
    );
}

/// Drill 6's load: `tasks` tasks `SET`ting `keys` until `stop`; each
/// gives how many succeeded and its failures.
fn drill_6_load(
    client: &Arc<redwire::Client>,
    keys: &[String],
    tasks: usize,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(u64, Vec<Error>)>> {
    (0..tasks)
        .map(|task| {
            let (client, stop, keys) = (client.clone(), stop.clone(), keys.to_vec());
            tokio::spawn(async move {
                let (mut ok, mut failures) = (0u64, Vec::new());
                let mut n = task;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match client.set::<()>(&keys[n % keys.len()], n).await {
                        Ok(()) => ok += 1,
                        Err(e) => failures.push(e),
                    }
                    n += tasks;
                }
                (ok, failures)
            })
        })
        .collect()
}

/// Of `keys`, those the master at `port` serves, and the others.
async fn served_by_port(port: u16, keys: Vec<String>) -> (Vec<String>, Vec<String>) {
    let mut master = node(port).await;
    let (mut served, mut others) = (Vec::new(), Vec::new());
    for key in keys {
        // A master serves the key's slot when it answers a read of it.
        if master.cmd(&["EXISTS", &key]).await.is_ok() {
            served.push(key);
        } else {
            others.push(key);
        }
    }
    (served, others)
}

/// Drill 6, stale topology: the first seed is a replica since removed; a
/// third master stops answering (its sockets open; for 1.5 s, under the
/// cluster's node timeout) while 100 slots move between the other two under
/// load. The moving keys' requests follow `MOVED`s and `ASK`s to the end
/// (no redirection loop, none failed); the topology is read at most once a
/// second after `MOVED`s and every 100 ms while the silent master's keys
/// cannot be reached (counted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_seeds_and_moved_storms_while_a_master_is_silent() {
    let mut cluster = TestCluster::start().unwrap();
    let masters = masters(&cluster).await;
    let (silent, from, to) = (masters[0], masters[1], masters[2]);
    // A replica of another master taken out: the seed naming it is stale.
    let mut removed = None;
    for server in &mut cluster.nodes {
        let info = node(server.port())
            .await
            .cmd(&["INFO", "replication"])
            .await
            .unwrap();
        if text(&info).contains(&format!("master_port:{to}")) {
            removed = Some(server.port());
            server.kill_process();
        }
    }
    let url = format!(
        "redis+cluster://127.0.0.1:{},127.0.0.1:{from}?peer_timeout=500&connect_timeout=500",
        removed.unwrap(),
    );
    let client = Arc::new(redwire::Client::connect(url.as_str()).await.unwrap());
    let (stuck, moving) =
        served_by_port(silent, (0..2000).map(|i| format!("d6:{i}")).collect()).await;
    let (on_from, _) = served_by_port(from, moving.clone()).await;
    let slots: Vec<u16> = on_from
        .iter()
        .map(|k| key_slot(k.as_bytes()))
        .collect::<std::collections::BTreeSet<u16>>()
        .into_iter()
        .take(100)
        .collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let moving_tasks = drill_6_load(&client, &moving, 20, &stop);
    let stuck_tasks = drill_6_load(&client, &stuck, 5, &stop);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let silent_node = cluster.nodes.iter().find(|n| n.port() == silent).unwrap();
    let before = client.stats();
    let started = Instant::now();
    let paused = silent_node.pause(Duration::from_millis(1500)).unwrap();
    // By hand, slot by slot, as a reshard does (redis-cli would wait for
    // the silent node).
    let ids = (node_id(from).await, node_id(to).await);
    let (mut source, mut target) = (node(from).await, node(to).await);
    for &slot in &slots {
        migrate(&mut source, &mut target, slot, (&ids.0, &ids.1), to).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The silent master answers again after its 1.5 s; the load goes on.
    tokio::time::sleep(Duration::from_millis(2500).saturating_sub(started.elapsed())).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let took = started.elapsed();
    let after = client.stats();
    drop(paused);
    let (mut moved_ok, mut stuck_failed) = (0, 0);
    for task in moving_tasks {
        let (ok, failures) = task.await.unwrap();
        assert!(failures.is_empty(), "{failures:?}");
        moved_ok += ok;
    }
    for task in stuck_tasks {
        let (_, failures) = task.await.unwrap();
        assert!(failures.iter().all(Error::is_timeout), "{failures:?}");
        stuck_failed += failures.len();
    }
    let refreshes = after.topology_refreshes - before.topology_refreshes;
    let redirections = after.redirections - before.redirections;
    println!(
        "drill 6 (Rust): {} slots moved in {:.1} s with a master silent for 1.5 s: {moved_ok} \
         writes to the moving keys, none failed, {redirections} redirections followed; \
         {stuck_failed} writes to the silent master's keys timed out; {refreshes} topology reads",
        slots.len(),
        took.as_secs_f64(),
    );
    let bound = took.as_millis() / 100 + u128::from(took.as_secs()) + 5;
    assert!(
        u128::from(refreshes) <= bound,
        "{refreshes} reads in {took:?}"
    );
    // Followed (a background read may learn of a move first), and no loop:
    // a redirection or two per slot at most.
    assert!(
        redirections > 0 && redirections <= 2 * slots.len() as u64,
        "{redirections} redirections"
    );
}

/// Moves `slot` from `source` to `target` (`ids`: theirs), as a reshard
/// does: importing and migrating, its keys migrated, then both told the
/// new owner (the others learn it from them).
async fn migrate(
    source: &mut Connection,
    target: &mut Connection,
    slot: u16,
    ids: (&str, &str),
    to: u16,
) {
    let (from_id, to_id) = ids;
    target
        .cmd(&("CLUSTER", "SETSLOT", slot, "IMPORTING", from_id))
        .await
        .unwrap();
    source
        .cmd(&("CLUSTER", "SETSLOT", slot, "MIGRATING", to_id))
        .await
        .unwrap();
    loop {
        let keys = source
            .cmd(&("CLUSTER", "GETKEYSINSLOT", slot, 100))
            .await
            .unwrap();
        let Frame::Array(keys) = keys else {
            panic!("GETKEYSINSLOT")
        };
        if keys.is_empty() {
            break;
        }
        let keys: Vec<&[u8]> = keys.iter().filter_map(Frame::as_bytes).collect();
        source
            .cmd(&(
                "MIGRATE",
                "127.0.0.1",
                to,
                "",
                0,
                5000,
                "REPLACE",
                "KEYS",
                keys,
            ))
            .await
            .unwrap();
    }
    target
        .cmd(&("CLUSTER", "SETSLOT", slot, "NODE", to_id))
        .await
        .unwrap();
    source
        .cmd(&("CLUSTER", "SETSLOT", slot, "NODE", to_id))
        .await
        .unwrap();
}

/// A cluster gone (every node killed): callers retrying through the
/// outage read the topology at most every 100 ms between them, failed
/// reads included (before, each retry read it again at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_reads_are_throttled_while_the_cluster_is_gone() {
    let mut cluster = TestCluster::start().unwrap();
    let client = redwire::Client::connect_with(
        format!(
            "redis+cluster://127.0.0.1:{}?connect_timeout=200",
            cluster.nodes[0].port()
        )
        .parse()
        .unwrap(),
        ClientOptions::default().max_retries(6),
    )
    .await
    .unwrap();
    client.set::<()>("k", 1).await.unwrap();
    for node in &mut cluster.nodes {
        node.kill_process();
    }
    let before = client.stats().topology_refreshes;
    let started = Instant::now();
    let callers = (0..50).map(|i| client.set::<()>(format!("k{i}"), i));
    let results = futures_util::future::join_all(callers).await;
    let took = started.elapsed();
    assert!(results.iter().all(Result::is_err));
    let reads = client.stats().topology_refreshes - before;
    // At most one every 100 ms, a few more at the edges.
    let bound = took.as_millis() / 100 + 5;
    assert!(
        u128::from(reads) <= bound,
        "{reads} topology reads in {took:?}"
    );
    println!("50 callers retrying through {took:?} of outage: {reads} topology reads");
}
