//! Against a local Redis Cluster of 3 masters and 3 replicas: redwire's
//! `Cluster` against redis-rs cluster-async and fred, in one run: a
//! pipeline of 100 SET + 100 GET over keys of every master, and 50 tasks
//! doing GET/SET on keys of every master. Run with
//! `cargo bench -p redwire-benches --bench cluster`, then
//! `benches/report.py cluster- redwire`.
//!
//! redis-rs's async cluster connection refuses a pipeline whose keys span
//! slots ("crossed slots in pipeline"), so its pipeline row is its sync
//! `cluster_pipe` (which splits by node) and a row of the 200 commands sent
//! at once on the async connection (`join_all`, multiplexed).
#![allow(clippy::unwrap_used, clippy::panic)] // a bench fails loudly

use std::time::Duration;

use criterion::{Criterion, Throughput};
use fred::prelude::{ClientLike, KeysInterface};
use redis::AsyncCommands;
use redwire::{ClientOptions, Cluster, Commands, Pipeline};
use redwire_testkit::Cluster as TestCluster;

const VALUE: &str = "0123456789abcdef";
/// Pipelines hold this many SETs and as many GETs.
const PIPELINE_HALF: usize = 100;
const TASKS: usize = 50;
const OPS_PER_TASK: usize = 20;

mod fred_pipeline;
#[macro_use]
mod timed;

struct Clients {
    redwire: Cluster,
    /// The typed client on the same cluster.
    client: redwire::Client,
    redis: redis::cluster_async::ClusterConnection,
    redis_sync: redis::cluster::ClusterConnection,
    fred: fred::prelude::Client,
}

async fn clients(cluster: &TestCluster) -> Clients {
    let port = cluster.nodes[0].port();
    let redwire = Cluster::connect(
        format!("redis+cluster://127.0.0.1:{port}").parse().unwrap(),
        ClientOptions::default(),
    )
    .await
    .unwrap();
    let client = redwire::Client::connect(format!("redis+cluster://127.0.0.1:{port}"))
        .await
        .unwrap();
    let redis_client =
        redis::cluster::ClusterClient::new(vec![format!("redis://127.0.0.1:{port}")]).unwrap();
    let redis = redis_client.get_async_connection().await.unwrap();
    let redis_sync = redis_client.get_connection().unwrap();
    let fred = fred::prelude::Builder::from_config(
        fred::prelude::Config::from_url(&format!("redis-cluster://127.0.0.1:{port}")).unwrap(),
    )
    .build()
    .unwrap();
    fred.init().await.unwrap();
    Clients {
        redwire,
        client,
        redis,
        redis_sync,
        fred,
    }
}

fn keys() -> Vec<String> {
    (0..PIPELINE_HALF).map(|i| format!("bench:{i}")).collect()
}

fn pipelined(c: &mut Criterion, runtime: &tokio::runtime::Runtime, clients: &mut Clients) {
    let mut group = c.benchmark_group("cluster-pipeline_100_set_100_get");
    group.throughput(Throughput::Elements(2 * PIPELINE_HALF as u64));
    let keys = keys();
    let Clients {
        redwire,
        redis,
        redis_sync,
        fred,
        ..
    } = clients;
    let mut pipeline = Pipeline::new();
    for key in &keys {
        pipeline.cmd(&("SET", key, VALUE));
    }
    for key in &keys {
        pipeline.cmd(&("GET", key));
    }
    group.bench_function("redwire", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let replies = redwire.pipeline(&pipeline).await.unwrap();
                assert!(replies.iter().all(Result::is_ok));
            })
        });
    });
    let mut redis_pipeline = redis::cluster::cluster_pipe();
    for key in &keys {
        redis_pipeline.set(key, VALUE);
    }
    for key in &keys {
        redis_pipeline.get(key);
    }
    group.bench_function("redis-rs-cluster-sync-pipe", |b| {
        b.iter(|| {
            let replies: Vec<redis::Value> = redis_pipeline.query(redis_sync).unwrap();
            assert_eq!(replies.len(), 2 * PIPELINE_HALF);
        });
    });
    group.bench_function("redis-rs-cluster-async-join", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let sets = keys.iter().map(|key| {
                    let mut c = redis.clone();
                    async move { c.set::<_, _, ()>(key, VALUE).await.unwrap() }
                });
                futures_util::future::join_all(sets).await;
                let gets = keys.iter().map(|key| {
                    let mut c = redis.clone();
                    async move { c.get::<_, Option<Vec<u8>>>(key).await.unwrap() }
                });
                let replies = futures_util::future::join_all(gets).await;
                assert_eq!(replies.len(), PIPELINE_HALF);
            })
        });
    });
    group.bench_function("fred", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let replies = fred_pipeline::set_then_get(fred, &keys, VALUE).await;
                assert_eq!(replies.len(), 2 * PIPELINE_HALF);
            })
        });
    });
    group.finish();
}

/// Spawns `TASKS` tasks, each running `$op` with `$client` cloned in as
/// `$c` and the key `$key`, `OPS_PER_TASK` times, and waits for all.
macro_rules! fifty_tasks {
    ($client:expr, |$c:ident, $key:ident| $op:block) => {
        async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|task| {
                    #[allow(unused_mut)]
                    let mut $c = $client.clone();
                    tokio::spawn(async move {
                        for i in 0..OPS_PER_TASK {
                            let $key = format!("bench:{}", task * OPS_PER_TASK + i);
                            $op
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }
    };
}

fn fifty_tasks(c: &mut Criterion, runtime: &tokio::runtime::Runtime, clients: &Clients) {
    let mut group = c.benchmark_group("cluster-50_tasks_set_get");
    group.throughput(Throughput::Elements((2 * TASKS * OPS_PER_TASK) as u64));
    group.bench_function("redwire", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(clients.redwire, |client, key| {
                    client.cmd(&("SET", &key, VALUE)).await.unwrap();
                    client.cmd(&("GET", &key)).await.unwrap();
                })
                .await;
            })
        });
    });
    group.bench_function("redwire-client", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(clients.client, |client, key| {
                    client.set::<()>(&key, VALUE).await.unwrap();
                    client.get::<Option<redwire::Payload>>(&key).await.unwrap();
                })
                .await;
            })
        });
    });
    group.bench_function("redis-rs-cluster-async", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(clients.redis, |client, key| {
                    let () = client.set(&key, VALUE).await.unwrap();
                    let _: Option<Vec<u8>> = client.get(&key).await.unwrap();
                })
                .await;
            })
        });
    });
    group.bench_function("fred", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(clients.fred, |client, key| {
                    client
                        .set::<(), _, _>(key.as_str(), VALUE, None, None, false)
                        .await
                        .unwrap();
                    client
                        .get::<Option<Vec<u8>>, _>(key.as_str())
                        .await
                        .unwrap();
                })
                .await;
            })
        });
    });
    group.finish();
}

fn main() {
    let cluster = TestCluster::start().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut clients = runtime.block_on(clients(&cluster));
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    pipelined(&mut criterion, &runtime, &mut clients);
    fifty_tasks(&mut criterion, &runtime, &clients);
    criterion.final_summary();
}
