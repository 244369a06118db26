//! Pools against one local `redis-server`: redwire-pool against bb8-redis
//! and deadpool-redis, in one run: checkout + release with no command, and
//! 50 tasks doing GET through a pool of 20. Run with
//! `cargo bench -p redwire-benches --bench pool`, then
//! `benches/report.py pool- redwire`.
#![allow(clippy::unwrap_used, clippy::panic)] // a bench fails loudly

use std::time::Duration;

use criterion::{Criterion, Throughput};
use redis::AsyncCommands;
use redwire_testkit::{Server, ServerOptions};

const POOL_SIZE: u32 = 20;
const TASKS: usize = 50;
const GETS_PER_TASK: usize = 20;

#[macro_use]
mod timed;

struct Pools {
    redwire: redwire::Pool,
    bb8: bb8::Pool<bb8_redis::RedisConnectionManager>,
    deadpool: deadpool_redis::Pool,
}

async fn pools(url: &str) -> Pools {
    let redwire = redwire::Connector::new(url.parse().unwrap())
        .pool(redwire::PoolConfig::default().max_size(POOL_SIZE))
        .unwrap();
    let bb8 = bb8::Pool::builder()
        .max_size(POOL_SIZE)
        .build(bb8_redis::RedisConnectionManager::new(url).unwrap())
        .await
        .unwrap();
    let mut config = deadpool_redis::Config::from_url(url);
    config.pool = Some(deadpool_redis::PoolConfig::new(POOL_SIZE as usize));
    let deadpool = config
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .unwrap();
    Pools {
        redwire,
        bb8,
        deadpool,
    }
}

fn checkout(c: &mut Criterion, runtime: &tokio::runtime::Runtime, pools: &Pools) {
    let mut group = c.benchmark_group("pool-checkout_release");
    group.throughput(Throughput::Elements(1));
    group.bench_function("redwire", |b| {
        b.iter_custom(|iters| timed!(runtime, iters, { drop(pools.redwire.get().await.unwrap()) }));
    });
    group.bench_function("bb8-redis", |b| {
        b.iter_custom(|iters| timed!(runtime, iters, { drop(pools.bb8.get().await.unwrap()) }));
    });
    group.bench_function("deadpool-redis", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                drop(pools.deadpool.get().await.unwrap());
            })
        });
    });
    group.finish();
}

/// Spawns `TASKS` tasks, each running `$op` (with `$pool` cloned in as
/// `pool`) `GETS_PER_TASK` times, and waits for all of them.
macro_rules! fifty_tasks {
    ($pool:expr, |$p:ident| $op:block) => {
        async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let $p = $pool.clone();
                    tokio::spawn(async move {
                        for _ in 0..GETS_PER_TASK $op
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        }
    };
}

/// 50 tasks, each doing `GETS_PER_TASK` checkouts with one GET; the time
/// until all are done.
fn fifty_tasks(c: &mut Criterion, runtime: &tokio::runtime::Runtime, pools: &Pools) {
    let mut group = c.benchmark_group("pool-50_tasks_get");
    group.throughput(Throughput::Elements((TASKS * GETS_PER_TASK) as u64));
    group.bench_function("redwire", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(pools.redwire, |pool| {
                    pool.get()
                        .await
                        .unwrap()
                        .cmd(&("GET", "bench:key"))
                        .await
                        .unwrap();
                })
                .await;
            })
        });
    });
    group.bench_function("bb8-redis", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(pools.bb8, |pool| {
                    let _: Option<Vec<u8>> =
                        pool.get().await.unwrap().get("bench:key").await.unwrap();
                })
                .await;
            })
        });
    });
    group.bench_function("deadpool-redis", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                fifty_tasks!(pools.deadpool, |pool| {
                    let _: Option<Vec<u8>> =
                        pool.get().await.unwrap().get("bench:key").await.unwrap();
                })
                .await;
            })
        });
    });
    group.finish();
}

fn main() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://{}:{}", server.host(), server.port());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let pools = runtime.block_on(pools(&url));
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    checkout(&mut criterion, &runtime, &pools);
    fifty_tasks(&mut criterion, &runtime, &pools);
    criterion.final_summary();
}
