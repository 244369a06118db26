//! RESP parsing: redwire-resp against redis-protocol, redis-rs and hiredis on
//! the same inputs, in one run. Run with `cargo bench -p redwire-benches --bench parser`;
//! `benches/report.py` turns the results into the table in `RESULTS.md`. The
//! headline rows (`client_path-…`) are the client's path: `Frame` (`Payload`s) fed
//! as socket reads come, hiredis fed the same reads.
#![allow(clippy::unwrap_used, clippy::panic)] // a bench fails loudly on a wrong result

mod hiredis;

use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Bencher, Criterion, Throughput};
use redwire_resp::{Decoder, RespCodec};
use tokio_util::codec::Decoder as _;

/// One benchmark input: a name, its bytes, the frames they hold, and
/// whether it is RESP2 only (hiredis 0.14 reads nothing else).
struct Input {
    name: &'static str,
    bytes: Vec<u8>,
    frames: usize,
    resp2: bool,
}

fn bulk(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

fn inputs() -> Vec<Input> {
    let array = |count: usize, element: &[u8]| {
        let mut out = format!("*{count}\r\n").into_bytes();
        for _ in 0..count {
            out.extend_from_slice(element);
        }
        out
    };
    let mut map =
        b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n%10\r\n"
            .to_vec();
    for i in 0..10 {
        map.extend_from_slice(&bulk(format!("field:{i}").as_bytes()));
        map.extend_from_slice(format!("|1\r\n+ttl\r\n:{}\r\n", 3600 + i).as_bytes());
        map.extend_from_slice(&bulk(format!("value number {i}").as_bytes()));
    }
    let mut doubles = b"*100\r\n".to_vec();
    for i in 0..50 {
        doubles.extend_from_slice(&bulk(format!("member:{i}").as_bytes()));
        doubles.extend_from_slice(format!(",{}\r\n", 1234.5678 * f64::from(i) + 0.125).as_bytes());
    }
    let mut pipeline = Vec::new();
    for i in 0..1000 {
        match i % 3 {
            0 => pipeline.extend_from_slice(b"+OK\r\n"),
            1 => pipeline.extend_from_slice(format!(":{i}\r\n").as_bytes()),
            _ => pipeline.extend_from_slice(&bulk(b"value")),
        }
    }
    let set: Vec<u8> = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".to_vec();
    assert_eq!(set.len(), 33);
    vec![
        Input {
            name: "simple_ok",
            bytes: b"+OK\r\n".to_vec(),
            frames: 1,
            resp2: true,
        },
        Input {
            name: "integer_max",
            bytes: b":9223372036854775807\r\n".to_vec(),
            frames: 1,
            resp2: true,
        },
        Input {
            name: "set_command_33B",
            bytes: set,
            frames: 1,
            resp2: true,
        },
        Input {
            name: "array_100x10B",
            bytes: array(100, &bulk(b"0123456789")),
            frames: 1,
            resp2: true,
        },
        Input {
            name: "array_1000x1KiB",
            bytes: array(1000, &bulk(&[b'v'; 1024])),
            frames: 1,
            resp2: true,
        },
        Input {
            name: "bulk_1MiB",
            bytes: bulk(&vec![b'b'; 1 << 20]),
            frames: 1,
            resp2: true,
        },
        Input {
            name: "resp3_map_attributes",
            bytes: map,
            frames: 1,
            resp2: false,
        },
        Input {
            name: "resp3_doubles",
            bytes: doubles,
            frames: 1,
            resp2: false,
        },
        Input {
            name: "pipeline_1000",
            bytes: pipeline,
            frames: 1000,
            resp2: true,
        },
    ]
}

fn redwire_borrowed(input: &[u8], decoder: &mut Decoder) -> usize {
    let (mut at, mut frames) = (0, 0);
    while at < input.len() {
        let (frame, used) = decoder.decode(&input[at..]).unwrap().unwrap();
        black_box(&frame);
        at += used;
        frames += 1;
    }
    frames
}

fn redwire_codec(buf: &mut BytesMut, codec: &mut RespCodec) -> usize {
    let mut frames = 0;
    while let Some(frame) = codec.decode(buf).unwrap() {
        black_box(&frame);
        frames += 1;
    }
    frames
}

fn decode(c: &mut Criterion) {
    for input in inputs() {
        let mut group = c.benchmark_group(format!("decode-{}", input.name));
        group.throughput(Throughput::Elements(input.frames as u64));
        let bytes = &input.bytes[..];
        let frames = input.frames;
        let fresh = || BytesMut::from(bytes);

        let mut decoder = Decoder::default();
        assert_eq!(redwire_borrowed(bytes, &mut decoder), frames);
        group.bench_function("redwire-borrowed", |b| {
            b.iter(|| redwire_borrowed(black_box(bytes), &mut decoder));
        });

        group.bench_function("redwire-bytes", |b| {
            let mut decoder = Decoder::default();
            b.iter_batched_ref(
                fresh,
                |buf| {
                    while let Some(frame) = decoder.decode_bytes(buf).unwrap() {
                        black_box(&frame);
                    }
                },
                BatchSize::SmallInput,
            );
        });

        group.bench_function("redwire-codec", |b| {
            let mut codec = RespCodec::default();
            b.iter_batched_ref(
                fresh,
                |buf| redwire_codec(buf, &mut codec),
                BatchSize::SmallInput,
            );
        });

        group.bench_function("redis-protocol-bytes", |b| {
            b.iter_batched_ref(
                fresh,
                |buf| {
                    while !buf.is_empty() {
                        let frame =
                            redis_protocol::resp3::decode::complete::decode_bytes_mut(buf).unwrap();
                        black_box(frame.unwrap());
                    }
                },
                BatchSize::SmallInput,
            );
        });

        group.bench_function("redis-protocol-owned", |b| {
            b.iter(|| {
                let mut at = 0;
                while at < bytes.len() {
                    let (frame, used) =
                        redis_protocol::resp3::decode::complete::decode(&bytes[at..])
                            .unwrap()
                            .unwrap();
                    black_box(frame);
                    at += used;
                }
            });
        });

        group.bench_function("redis-rs", |b| {
            let mut parser = redis::Parser::new();
            b.iter(|| {
                let mut reader = black_box(bytes);
                for _ in 0..frames {
                    black_box(parser.parse_value(&mut reader).unwrap());
                }
            });
        });

        if let Some(hiredis) = hiredis::Hiredis::get().filter(|_| input.resp2) {
            group.bench_function("hiredis", |b| {
                let mut reader = hiredis.reader();
                b.iter(|| {
                    reader.feed(black_box(bytes));
                    for _ in 0..frames {
                        assert!(reader.next_reply());
                    }
                });
            });
        }
        group.finish();
    }
}

/// The codec fed whole, and fed in 16-byte and 4 KiB pieces as socket reads
/// would deliver it; each copies the input into its read buffer the same way.
fn chunked(c: &mut Criterion) {
    for input in inputs() {
        let mut group = c.benchmark_group(format!("chunked-{}", input.name));
        group.throughput(Throughput::Elements(input.frames as u64));
        let bytes = &input.bytes[..];
        for (name, piece) in [
            ("redwire-codec-whole", bytes.len()),
            ("redwire-codec-4KiB", 4096),
            ("redwire-codec-16B", 16),
        ] {
            group.bench_function(name, |b| {
                let mut codec = RespCodec::default();
                b.iter_batched_ref(
                    || BytesMut::with_capacity(bytes.len()),
                    |buf| {
                        let mut frames = 0;
                        for chunk in bytes.chunks(piece) {
                            buf.extend_from_slice(chunk);
                            frames += redwire_codec(buf, &mut codec);
                        }
                        assert_eq!(frames, input.frames);
                    },
                    BatchSize::SmallInput,
                );
            });
        }
        if let Some(hiredis) = hiredis::Hiredis::get().filter(|_| input.resp2) {
            group.bench_function("hiredis-16B", |b| {
                let mut reader = hiredis.reader();
                b.iter(|| {
                    let mut frames = 0;
                    for chunk in bytes.chunks(16) {
                        reader.feed(chunk);
                        while reader.next_reply() {
                            frames += 1;
                        }
                    }
                    assert_eq!(frames, input.frames);
                });
            });
        }
        group.finish();
    }
}

/// The inputs of the client's path: the replies most commands get.
fn client_inputs() -> Vec<Input> {
    let repeat = |count: usize, one: &[u8]| one.repeat(count);
    let mut integers = Vec::new();
    for i in 0..100_000 {
        integers.extend_from_slice(format!(":{i}\r\n").as_bytes());
    }
    let mut arrays = b"*100\r\n".to_vec();
    for _ in 0..100 {
        arrays.extend_from_slice(&bulk(b"0123456789"));
    }
    vec![
        Input {
            name: "100000_OK",
            bytes: repeat(100_000, b"+OK\r\n"),
            frames: 100_000,
            resp2: true,
        },
        Input {
            name: "100000_integers",
            bytes: integers,
            frames: 100_000,
            resp2: true,
        },
        Input {
            name: "1000_arrays_of_100_short_bulks",
            bytes: arrays.repeat(1000),
            frames: 1000,
            resp2: true,
        },
        Input {
            name: "10000_1KiB_bulks",
            bytes: bulk(&[b'x'; 1024]).repeat(10_000),
            frames: 10_000,
            resp2: true,
        },
    ]
}

/// The client's path, the headline rows (issue 22): a `BytesMut` fed the
/// input in 16 KiB and in 16-byte reads, as a socket's would come, every
/// complete frame decoded after each read into the `Frame`s (`Payload`s) the
/// connection uses, as a shared connection does (`redwire-…`: the frame
/// that completes a read with `Decoder::decode_bytes`, the rest with
/// `decode_bytes_each`) and as a dedicated connection's pipeline does
/// (`redwire-one-by-one-…`: `decode_bytes` per frame); hiredis fed the same
/// reads.
fn client_path(c: &mut Criterion) {
    for input in client_inputs() {
        let mut group = c.benchmark_group(format!("client_path-{}", input.name));
        group.throughput(Throughput::Elements(input.frames as u64));
        let bytes = &input.bytes[..];
        for (read, piece) in [("16KiB", 16 * 1024), ("16B", 16)] {
            let frames = input.frames;
            group.bench_function(format!("redwire-{read}"), |b| {
                // As a shared connection reads: the frame a read
                // completes, then the rest in one pass.
                reads(b, bytes, piece, frames, |decoder, buf| {
                    let Some(frame) = decoder.decode_bytes(buf).unwrap() else {
                        return 0;
                    };
                    black_box(&frame);
                    let mut taken = 1;
                    decoder
                        .decode_bytes_each(buf, |frame| {
                            black_box(&frame);
                            taken += 1;
                            ControlFlow::Continue(())
                        })
                        .unwrap();
                    taken
                });
            });
            group.bench_function(format!("redwire-one-by-one-{read}"), |b| {
                reads(b, bytes, piece, frames, |decoder, buf| {
                    let mut taken = 0;
                    while let Some(frame) = decoder.decode_bytes(buf).unwrap() {
                        black_box(&frame);
                        taken += 1;
                    }
                    taken
                });
            });
            if let Some(hiredis) = hiredis::Hiredis::get() {
                group.bench_function(format!("hiredis-{read}"), |b| {
                    let mut reader = hiredis.reader();
                    b.iter(|| {
                        let mut frames = 0;
                        for chunk in bytes.chunks(piece) {
                            reader.feed(chunk);
                            while reader.next_reply() {
                                frames += 1;
                            }
                        }
                        assert_eq!(frames, input.frames);
                    });
                });
            }
        }
        group.finish();
    }
}

/// Feeds `bytes` to a fresh `BytesMut` in reads of `piece` bytes, `take`
/// decoding what each read completes (and saying how many frames).
fn reads(
    b: &mut Bencher<'_>,
    bytes: &[u8],
    piece: usize,
    frames: usize,
    mut take: impl FnMut(&mut Decoder, &mut BytesMut) -> usize,
) {
    let mut decoder = Decoder::default();
    b.iter_batched_ref(
        || BytesMut::with_capacity(64 * 1024),
        |buf| {
            let mut taken = 0;
            for chunk in bytes.chunks(piece) {
                buf.extend_from_slice(chunk);
                taken += take(&mut decoder, buf);
            }
            assert_eq!(taken, frames);
        },
        BatchSize::SmallInput,
    );
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = client_path, decode, chunked }
criterion_main!(benches);
