//! Client-side caching against one local `redis-server` (RESP3): a hot
//! key's GET (100-byte value) through redwire's `Client` with its cache,
//! without it, and through redis-rs's `cache-aio` multiplexed connection;
//! then a mixed workload (95 % GETs over 100 keys, 5 % SETs of them, each
//! making the next read of its key a miss: 90 % of operations are hits),
//! the same three; then the cache's bytes under a flood of distinct
//! keys. Run with `cargo bench -p redwire-benches --bench cache`;
//! `benches/report.py cache- redwire-cached` prints the ratios.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)] // a bench fails loudly

use std::num::NonZeroUsize;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use redwire::cache::CacheConfig;
use redwire::{ClientOptions, Commands};
use redwire_testkit::{Server, ServerOptions};

#[macro_use]
mod timed;

/// Keys of the mixed workload.
const KEYS: usize = 100;

struct Clients {
    runtime: tokio::runtime::Runtime,
    cached: redwire::Client,
    plain: redwire::Client,
    redis_rs: redis::aio::MultiplexedConnection,
}

fn connect(url: &str) -> Clients {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (cached, plain, redis_rs) = runtime.block_on(async {
        let cached = redwire::Client::connect_with(
            url.parse().unwrap(),
            ClientOptions::default().cache(CacheConfig::default()),
        )
        .await
        .unwrap();
        let plain = redwire::Client::connect(url).await.unwrap();
        let config = redis::AsyncConnectionConfig::new().set_cache_config(
            redis::caching::CacheConfig::new().set_size(NonZeroUsize::new(10_000).unwrap()),
        );
        let redis_rs = redis::Client::open(url.replace("protocol=3", "protocol=resp3"))
            .unwrap()
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .unwrap();
        (cached, plain, redis_rs)
    });
    Clients {
        runtime,
        cached,
        plain,
        redis_rs,
    }
}

/// Each client's run of `ops` operations of the workload: `mixed`, or
/// GETs of one hot key.
fn workload(c: &mut Criterion, clients: &mut Clients, name: &str, mixed: bool) {
    let before = {
        let (ours, theirs) = (
            clients.cached.cache().unwrap().stats(),
            clients.redis_rs.get_cache_statistics().unwrap(),
        );
        (ours.hits, ours.misses, theirs.hit, theirs.miss)
    };
    let mut group = c.benchmark_group(format!("cache-{name}"));
    group.throughput(Throughput::Elements(1));
    let Clients {
        runtime,
        cached,
        plain,
        redis_rs,
    } = clients;
    // Every twentieth operation of the mixed workload writes a key the
    // reads go over too: its next read misses.
    let writes = |i: u64| mixed && i % 20 == 19;
    let key = |i: u64| {
        if !mixed {
            "hot".to_owned()
        } else if writes(i) {
            format!("mixed:{}", (i / 20 * 31) % KEYS as u64)
        } else {
            format!("mixed:{}", (i * 7919) % KEYS as u64)
        }
    };
    let value = "v".repeat(100);
    for (label, client) in [("redwire-cached", &*cached), ("redwire", &*plain)] {
        let mut i = 0u64;
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                timed!(runtime, iters, {
                    i += 1;
                    if writes(i) {
                        client.set::<()>(key(i), &value).await.unwrap();
                    } else {
                        client.get::<Option<Bytes>>(key(i)).await.unwrap();
                    }
                })
            });
        });
    }
    let mut i = 0u64;
    group.bench_function("redis-rs-cache-aio", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                i += 1;
                if writes(i) {
                    redis::cmd("SET")
                        .arg(key(i))
                        .arg(&value)
                        .query_async::<()>(redis_rs)
                        .await
                        .unwrap();
                } else {
                    redis::cmd("GET")
                        .arg(key(i))
                        .query_async::<Option<Vec<u8>>>(redis_rs)
                        .await
                        .unwrap();
                }
            })
        });
    });
    group.finish();
    let (ours, theirs) = (
        cached.cache().unwrap().stats(),
        redis_rs.get_cache_statistics().unwrap(),
    );
    // This workload's reads: hits and misses since it began.
    let rate = |hits: u64, misses: u64| 100.0 * hits as f64 / (hits + misses).max(1) as f64;
    println!(
        "{name}: redwire's cache {:.1} % of reads hit, redis-rs's {:.1} %",
        rate(ours.hits - before.0, ours.misses - before.1),
        rate(
            (theirs.hit - before.2) as u64,
            (theirs.miss - before.3) as u64
        ),
    );
}

/// Reads 100 000 distinct keys (100-byte values) through a cache bound to
/// 1 MiB: the most bytes it held at any point.
fn flood(clients: &Clients, url: &str) {
    let bound: usize = std::env::var("FLOOD_BOUND")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(1 << 20);
    clients.runtime.block_on(async {
        let client = redwire::Client::connect_with(
            url.parse().unwrap(),
            ClientOptions::default().cache(
                CacheConfig::default()
                    .max_entries(1_000_000)
                    .unwrap()
                    .max_bytes(bound)
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
        let value = "v".repeat(100);
        let mut pipeline = redwire::Pipeline::new();
        for i in 0..100_000 {
            pipeline.set(format!("flood:{i}"), &value);
            if pipeline.len() == 1000 {
                let _: Vec<()> = pipeline.query(&client).await.unwrap();
                pipeline.clear();
            }
        }
        let cache = client.cache().unwrap();
        let rss_before = rss();
        let mut most = 0;
        for i in 0..100_000 {
            client
                .get::<Option<Bytes>>(format!("flood:{i}"))
                .await
                .unwrap();
            most = most.max(cache.stats().bytes);
        }
        let stats = cache.stats();
        println!(
            "flood: 100 000 distinct keys through a {bound}-byte cache: at most {most} bytes held \
             ({:.1} % of the bound), {} entries at the end, {} evictions; the process grew by \
             {} KiB",
            100.0 * most as f64 / bound as f64,
            stats.entries,
            stats.evictions,
            (rss() - rss_before) / 1024,
        );
    });
}

/// The process's resident memory, in bytes (`/proc/self/statm`).
fn rss() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: i64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn main() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://127.0.0.1:{}?protocol=3", server.port());
    let mut clients = connect(&url);
    clients.runtime.block_on(async {
        clients
            .plain
            .set::<()>("hot", "v".repeat(100))
            .await
            .unwrap();
    });
    let mut c = Criterion::default().configure_from_args();
    workload(&mut c, &mut clients, "hot_GET", false);
    workload(&mut c, &mut clients, "mixed_90_hits", true);
    flood(&clients, &url);
    c.final_summary();
}
