//! End to end against one local `redis-server`: redwire against redis-rs
//! (sync, and multiplexed async), fred, and `redis-benchmark` as the ceiling,
//! in one run. Run with `cargo bench -p redwire-benches --bench client`;
//! `benches/report.py client- redwire` prints the throughput table, and the
//! run itself prints latency percentiles and the redis-benchmark ceiling.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)] // a bench fails loudly

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use fred::prelude::{ClientLike, KeysInterface};
use redwire::Commands;
use redwire::Payload;
use redwire_testkit::{Server, ServerOptions};

const KEY: &str = "bench:key";
const VALUE: &str = "0123456789abcdef";
/// Pipelines hold this many SETs and as many GETs.
const PIPELINE_HALF: usize = 100;
/// Operations timed one by one for the latency percentiles.
const LATENCY_OPS: usize = 20_000;

/// One client under test: a name and how to run each workload.
struct Clients {
    runtime: tokio::runtime::Runtime,
    redwire: redwire::Connection,
    /// The typed client users hold (shared, auto-pipelined connection).
    client: redwire::Client,
    redis_sync: redis::Connection,
    redis_async: redis::aio::MultiplexedConnection,
    fred: fred::prelude::Client,
}

impl Clients {
    fn connect(url: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let redis_client = redis::Client::open(url).unwrap();
        let (redwire, client, redis_async, fred) = runtime.block_on(async {
            let redwire = redwire::Connection::connect(&url.parse().unwrap())
                .await
                .unwrap();
            let client = redwire::Client::connect(url).await.unwrap();
            let redis_async = redis_client
                .get_multiplexed_async_connection()
                .await
                .unwrap();
            let fred =
                fred::prelude::Builder::from_config(fred::prelude::Config::from_url(url).unwrap())
                    .build()
                    .unwrap();
            fred.init().await.unwrap();
            (redwire, client, redis_async, fred)
        });
        Self {
            runtime,
            redwire,
            client,
            redis_sync: redis_client.get_connection().unwrap(),
            redis_async,
            fred,
        }
    }
}

mod fred_pipeline;
#[macro_use]
mod timed;

fn sequential(c: &mut Criterion, clients: &mut Clients) {
    for command in ["GET", "SET"] {
        let mut group = c.benchmark_group(format!("client-sequential_{command}"));
        group.throughput(Throughput::Elements(1));
        let Clients {
            runtime,
            redwire,
            client,
            redis_sync,
            redis_async,
            fred,
        } = clients;
        let get = command == "GET";
        group.bench_function("redwire", |b| {
            b.iter_custom(|iters| {
                timed!(runtime, iters, {
                    if get {
                        redwire.cmd(&("GET", KEY)).await.unwrap();
                    } else {
                        redwire.cmd(&("SET", KEY, VALUE)).await.unwrap();
                    }
                })
            });
        });
        group.bench_function("redwire-client", |b| {
            b.iter_custom(|iters| {
                timed!(runtime, iters, {
                    if get {
                        client.get::<Option<Payload>>(KEY).await.unwrap();
                    } else {
                        client.set::<()>(KEY, VALUE).await.unwrap();
                    }
                })
            });
        });
        group.bench_function("redis-rs-sync", |b| {
            b.iter(|| {
                if get {
                    redis::cmd("GET")
                        .arg(KEY)
                        .query::<Option<Vec<u8>>>(redis_sync)
                        .unwrap();
                } else {
                    redis::cmd("SET")
                        .arg(KEY)
                        .arg(VALUE)
                        .query::<()>(redis_sync)
                        .unwrap();
                }
            });
        });
        group.bench_function("redis-rs-multiplexed", |b| {
            b.iter_custom(|iters| {
                timed!(runtime, iters, {
                    if get {
                        redis::cmd("GET")
                            .arg(KEY)
                            .query_async::<Option<Vec<u8>>>(redis_async)
                            .await
                            .unwrap();
                    } else {
                        redis::cmd("SET")
                            .arg(KEY)
                            .arg(VALUE)
                            .query_async::<()>(redis_async)
                            .await
                            .unwrap();
                    }
                })
            });
        });
        group.bench_function("fred", |b| {
            b.iter_custom(|iters| {
                timed!(runtime, iters, {
                    if get {
                        fred.get::<Option<Vec<u8>>, _>(KEY).await.unwrap();
                    } else {
                        fred.set::<(), _, _>(KEY, VALUE, None, None, false)
                            .await
                            .unwrap();
                    }
                })
            });
        });
        group.finish();
    }
}

fn pipelined(c: &mut Criterion, clients: &mut Clients) {
    let mut group = c.benchmark_group("client-pipeline_100set_100get");
    group.throughput(Throughput::Elements(2 * PIPELINE_HALF as u64));
    let Clients {
        runtime,
        redwire,
        client,
        redis_sync,
        redis_async,
        fred,
    } = clients;
    let keys: Vec<String> = (0..PIPELINE_HALF).map(|i| format!("bench:p:{i}")).collect();
    group.bench_function("redwire-client", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let mut pipeline = redwire::Pipeline::new();
                for key in &keys {
                    pipeline.set(key.as_str(), VALUE);
                }
                for key in &keys {
                    pipeline.get(key.as_str());
                }
                let replies: Vec<redwire::Frame> = pipeline.query(&*client).await.unwrap();
                assert_eq!(replies.len(), 2 * PIPELINE_HALF);
            })
        });
    });
    group.bench_function("redwire", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let mut pipeline = redwire::Pipeline::new();
                for key in &keys {
                    pipeline.cmd(&("SET", key.as_str(), VALUE));
                }
                for key in &keys {
                    pipeline.cmd(&("GET", key.as_str()));
                }
                let replies = redwire.pipeline(&pipeline).await.unwrap();
                assert_eq!(replies.len(), 2 * PIPELINE_HALF);
            })
        });
    });
    let redis_pipeline = || {
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.cmd("SET").arg(key).arg(VALUE);
        }
        for key in &keys {
            pipe.cmd("GET").arg(key);
        }
        pipe
    };
    group.bench_function("redis-rs-sync", |b| {
        b.iter(|| {
            let replies: Vec<redis::Value> = redis_pipeline().query(redis_sync).unwrap();
            assert_eq!(replies.len(), 2 * PIPELINE_HALF);
        });
    });
    group.bench_function("redis-rs-multiplexed", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let replies: Vec<redis::Value> =
                    redis_pipeline().query_async(redis_async).await.unwrap();
                assert_eq!(replies.len(), 2 * PIPELINE_HALF);
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

/// An aggregate reply: `MGET` of 100 keys holding 16-byte values (an array
/// of 100 short bulk strings), read as frames.
fn mget(c: &mut Criterion, clients: &mut Clients) {
    let mut group = c.benchmark_group("client-mget_100");
    group.throughput(Throughput::Elements(100));
    let Clients {
        runtime,
        client,
        redis_async,
        ..
    } = clients;
    let keys: Vec<String> = (0..100).map(|i| format!("bench:m:{i}")).collect();
    runtime.block_on(async {
        for key in &keys {
            client.set::<()>(key.as_str(), VALUE).await.unwrap();
        }
    });
    group.bench_function("redwire-client", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let values: redwire::Frame = client.mget(&keys).await.unwrap();
                assert!(matches!(values, redwire::Frame::Array(v) if v.len() == 100));
            })
        });
    });
    group.bench_function("redis-rs-multiplexed", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                let values: redis::Value = redis::cmd("MGET")
                    .arg(&keys)
                    .query_async(redis_async)
                    .await
                    .unwrap();
                assert!(matches!(values, redis::Value::Array(v) if v.len() == 100));
            })
        });
    });
    group.finish();
}

/// What a typed reply costs: the same GET read as the raw frame and as a
/// `String`.
fn typed(c: &mut Criterion, clients: &Clients) {
    let mut group = c.benchmark_group("client-get_typed");
    group.throughput(Throughput::Elements(1));
    let Clients {
        runtime, client, ..
    } = clients;
    group.bench_function("redwire-client-frame", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                client.get::<redwire::Frame>(KEY).await.unwrap();
            })
        });
    });
    group.bench_function("redwire-client-string", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                client.get::<String>(KEY).await.unwrap();
            })
        });
    });
    group.finish();
}

/// Tasks sharing one client, each running this many GETs.
const GETS_PER_TASK: usize = 100;
const TASKS: usize = 50;

/// Spawns `TASKS` tasks, each running `GETS_PER_TASK` times `$get` with
/// `$client` cloned in, and waits for them all.
macro_rules! tasks {
    ($client:expr, |$c:ident| $get:expr) => {{
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| {
                #[allow(unused_mut)]
                let mut $c = $client.clone();
                tokio::spawn(async move {
                    for _ in 0..GETS_PER_TASK {
                        $get;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    }};
}

/// 50 tasks doing GET through one client (its clones), against the same
/// client's own rate with the GETs in pipelines of 100.
fn fifty_tasks(c: &mut Criterion, clients: &Clients, url: &str) {
    let mut group = c.benchmark_group("client-50_tasks_get");
    group.throughput(Throughput::Elements((TASKS * GETS_PER_TASK) as u64));
    let Clients {
        runtime,
        client,
        redis_async,
        fred,
        ..
    } = clients;
    group.bench_function("redwire-client", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                tasks!(client, |c| c.get::<Option<Payload>>(KEY).await.unwrap());
            })
        });
    });
    let shared = runtime.block_on(async {
        let shared = redwire::SharedConnection::new(url.parse().unwrap());
        shared.cmd(&["PING"]).await.unwrap();
        shared
    });
    group.bench_function("redwire-shared", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                tasks!(shared, |c| c.cmd(&("GET", KEY)).await.unwrap());
            })
        });
    });
    group.bench_function("redis-rs-multiplexed", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                tasks!(redis_async, |c| redis::cmd("GET")
                    .arg(KEY)
                    .query_async::<Option<Vec<u8>>>(&mut c)
                    .await
                    .unwrap());
            })
        });
    });
    group.bench_function("fred", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                tasks!(fred, |c| c.get::<Option<Vec<u8>>, _>(KEY).await.unwrap());
            })
        });
    });
    let mut pipeline = redwire::Pipeline::new();
    for _ in 0..PIPELINE_HALF {
        pipeline.get(KEY);
    }
    group.bench_function("redwire-client-pipelined", |b| {
        b.iter_custom(|iters| {
            timed!(runtime, iters, {
                for _ in 0..TASKS * GETS_PER_TASK / PIPELINE_HALF {
                    let values: Vec<Option<Payload>> = pipeline.query(client).await.unwrap();
                    assert_eq!(values.len(), PIPELINE_HALF);
                }
            })
        });
    });
    group.finish();
}

/// p50 and p99 of sequential GETs, each operation timed on its own.
fn latency(clients: &mut Clients) {
    println!("\n| client | sequential GET p50 | p99 |\n|---|---:|---:|");
    let Clients {
        runtime,
        redwire,
        client: _,
        redis_sync,
        redis_async,
        fred,
    } = clients;
    let report = |name: &str, mut samples: Vec<Duration>| {
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
        println!(
            "| {name} | {:.1} µs | {:.1} µs |",
            micros(at(0.50)),
            micros(at(0.99))
        );
    };
    let mut samples = Vec::with_capacity(LATENCY_OPS);
    runtime.block_on(async {
        for _ in 0..LATENCY_OPS {
            let t = Instant::now();
            redwire.cmd(&("GET", KEY)).await.unwrap();
            samples.push(t.elapsed());
        }
    });
    report("redwire", std::mem::take(&mut samples));
    for _ in 0..LATENCY_OPS {
        let t = Instant::now();
        redis::cmd("GET")
            .arg(KEY)
            .query::<Option<Vec<u8>>>(redis_sync)
            .unwrap();
        samples.push(t.elapsed());
    }
    report("redis-rs-sync", std::mem::take(&mut samples));
    runtime.block_on(async {
        for _ in 0..LATENCY_OPS {
            let t = Instant::now();
            redis::cmd("GET")
                .arg(KEY)
                .query_async::<Option<Vec<u8>>>(redis_async)
                .await
                .unwrap();
            samples.push(t.elapsed());
        }
    });
    report("redis-rs-multiplexed", std::mem::take(&mut samples));
    runtime.block_on(async {
        for _ in 0..LATENCY_OPS {
            let t = Instant::now();
            fred.get::<Option<Vec<u8>>, _>(KEY).await.unwrap();
            samples.push(t.elapsed());
        }
    });
    report("fred", samples);
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// `redis-benchmark -P 100` on the same server: one connection (the shape
/// of the pipeline bench) and its default 50.
fn ceiling(server: &Server) {
    println!("\n| redis-benchmark | SET ops/s | GET ops/s |\n|---|---:|---:|");
    for clients in ["1", "50"] {
        let port = server.port().to_string();
        let output = std::process::Command::new("redis-benchmark")
            .args([
                "-h",
                server.host(),
                "-p",
                &port,
                "-t",
                "set,get",
                "-n",
                "1000000",
                "-P",
                "100",
                "-c",
                clients,
            ])
            .args(["-d", &VALUE.len().to_string(), "--csv"])
            .output();
        let Ok(output) = output else {
            println!("| -P 100 -c {clients} | redis-benchmark not installed | |");
            continue;
        };
        let text = String::from_utf8_lossy(&output.stdout);
        let rate = |test: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("\"{test}\"")))
                .and_then(|l| l.split(',').nth(1))
                .map_or_else(|| "?".to_owned(), |v| v.trim_matches('"').to_owned())
        };
        println!(
            "| -P 100 -c {clients} | {} | {} |",
            rate("SET"),
            rate("GET")
        );
    }
}

fn main() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let url = format!("redis://{}:{}", server.host(), server.port());
    let mut clients = Clients::connect(&url);
    clients.runtime.block_on(async {
        clients.redwire.cmd(&("SET", KEY, VALUE)).await.unwrap();
    });
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    sequential(&mut criterion, &mut clients);
    pipelined(&mut criterion, &mut clients);
    mget(&mut criterion, &mut clients);
    typed(&mut criterion, &clients);
    fifty_tasks(&mut criterion, &clients, &url);
    criterion.final_summary();
    if !std::env::args().any(|a| a == "--test") {
        latency(&mut clients);
        ceiling(&server);
    }
}
