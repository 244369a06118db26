#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Hostile and malformed input: each gives a typed error, at once, with
//! bounded memory, fed whole or in pieces; never a panic, hang or overflow.

mod support;

use redwire_resp::{DecodeError, Decoder, Frame, Limits, MAX_DEPTH_CAP};
use support::{decode_all, decode_all_with, decode_in_pieces, decode_in_pieces_with};

fn nested(depth: usize) -> Vec<u8> {
    let mut input = b"*1\r\n".repeat(depth);
    input.extend_from_slice(b":1\r\n");
    input
}

#[allow(clippy::too_many_lines)] // one row per hostile input
fn hostile_table() -> Vec<(&'static str, Vec<u8>, DecodeError)> {
    vec![
        (
            "array of 2^32-1 elements",
            b"*4294967295\r\n".to_vec(),
            DecodeError::AggregateTooLong {
                len: 4_294_967_295,
                max: 1 << 30,
            },
        ),
        (
            "bulk of 9999999999999 bytes",
            b"$9999999999999\r\n".to_vec(),
            DecodeError::BulkTooLong {
                len: 9_999_999_999_999,
                max: 512 * 1024 * 1024,
            },
        ),
        (
            "100 000 nested arrays",
            nested(100_000),
            DecodeError::TooDeep { max: 128 },
        ),
        (
            "1 MiB without CRLF",
            vec![b'+'; 1 << 20],
            DecodeError::LineTooLong { max: 64 * 1024 },
        ),
        (
            "bulk length -2",
            b"$-2\r\n".to_vec(),
            DecodeError::InvalidLength,
        ),
        (
            "integer of 30 digits",
            b":123456789012345678901234567890\r\n".to_vec(),
            DecodeError::InvalidInteger,
        ),
        (
            "bulk with a wrong terminator",
            b"$3\r\nfooXY".to_vec(),
            DecodeError::MissingCrlf,
        ),
        (
            "bulk longer than announced",
            b"$3\r\nfoobar\r\n".to_vec(),
            DecodeError::MissingCrlf,
        ),
        (
            "streamed map with an odd count",
            b"%?\r\n+a\r\n:1\r\n+b\r\n.\r\n".to_vec(),
            DecodeError::OddMapElements,
        ),
        (
            "double 1e400x",
            b",1e400x\r\n".to_vec(),
            DecodeError::InvalidDouble,
        ),
        (
            "unknown type byte",
            b"@hi\r\n".to_vec(),
            DecodeError::InvalidType(b'@'),
        ),
        (
            "CR without LF",
            b"+OK\rX\n".to_vec(),
            DecodeError::MissingCrlf,
        ),
        (
            "length with letters",
            b"*2x\r\n".to_vec(),
            DecodeError::InvalidLength,
        ),
        (
            "empty length",
            b"$\r\n".to_vec(),
            DecodeError::InvalidLength,
        ),
        ("null map", b"%-1\r\n".to_vec(), DecodeError::InvalidLength),
        (
            "streamed bulk error",
            b"!?\r\n".to_vec(),
            DecodeError::InvalidLength,
        ),
        ("boolean x", b"#x\r\n".to_vec(), DecodeError::InvalidBoolean),
        (
            "null with data",
            b"_x\r\n".to_vec(),
            DecodeError::InvalidNull,
        ),
        (
            "big number with a dot",
            b"(1.5\r\n".to_vec(),
            DecodeError::InvalidBigNumber,
        ),
        (
            "verbatim without a format",
            b"=3\r\ntxt\r\n".to_vec(),
            DecodeError::InvalidVerbatim,
        ),
        (
            "verbatim without a colon",
            b"=5\r\ntxt_x\r\n".to_vec(),
            DecodeError::InvalidVerbatim,
        ),
        (
            "end marker outside a stream",
            b".\r\n".to_vec(),
            DecodeError::UnexpectedStreamToken(b'.'),
        ),
        (
            "chunk outside a stream",
            b";3\r\nabc\r\n".to_vec(),
            DecodeError::UnexpectedStreamToken(b';'),
        ),
        (
            "value inside a streamed string",
            b"$?\r\n+x\r\n".to_vec(),
            DecodeError::UnexpectedStreamToken(b'+'),
        ),
        (
            "end marker in a counted array",
            b"*2\r\n:1\r\n.\r\n".to_vec(),
            DecodeError::UnexpectedStreamToken(b'.'),
        ),
        (
            "100 000 chained attributes",
            {
                let mut chain = b"|0\r\n".repeat(100_000);
                chain.extend_from_slice(b"+x\r\n");
                chain
            },
            DecodeError::TooDeep { max: 128 },
        ),
        (
            "attribute describing nothing",
            b"*?\r\n|1\r\n+a\r\n+b\r\n.\r\n".to_vec(),
            DecodeError::AttributeWithoutValue,
        ),
    ]
}

#[test]
fn every_hostile_input_gives_its_typed_error_whole_and_in_pieces() {
    for (name, input, expected) in hostile_table() {
        assert_eq!(decode_all(&input).unwrap_err(), expected, "{name} (whole)");
        for piece in [1, 7, 4096] {
            assert_eq!(
                decode_in_pieces(&input, piece).unwrap_err(),
                expected,
                "{name} (pieces of {piece})"
            );
        }
    }
}

#[test]
fn errors_are_reported_from_the_header_before_the_payload_arrives() {
    // Only the header is present: the limit fires without waiting for data.
    let mut decoder = Decoder::default();
    assert!(matches!(
        decoder.decode(b"$600000000\r\n"),
        Err(DecodeError::BulkTooLong { .. })
    ));
    assert!(matches!(
        decoder.decode(b"*1\r\n*4294967295\r\n"),
        Err(DecodeError::AggregateTooLong { .. })
    ));
    // The line limit fires once the line is longer than allowed, not at its end.
    let mut line = b"+".to_vec();
    line.extend(std::iter::repeat_n(b'a', 64 * 1024 + 1));
    assert_eq!(
        decoder.decode(&line),
        Err(DecodeError::LineTooLong { max: 64 * 1024 })
    );
}

#[test]
fn a_large_announced_length_under_the_limit_waits_without_reserving() {
    // 2^30 elements are allowed, but none has arrived: the decoder waits,
    // holding one level of state, and decodes what does arrive.
    let mut decoder = Decoder::default();
    assert_eq!(decoder.decode(b"*1073741824\r\n:1\r\n").unwrap(), None);
    let mut decoder = Decoder::default();
    assert_eq!(decoder.decode(b"$536870912\r\nabc").unwrap(), None);
}

#[test]
fn each_limit_is_configurable() {
    let tight = Limits::default()
        .max_depth(2)
        .max_bulk_len(4)
        .max_aggregate_len(3)
        .max_frame_elements(5)
        .max_line_len(8);
    let cases: [(&[u8], DecodeError); 5] = [
        (b"*1\r\n*1\r\n*1\r\n:1\r\n", DecodeError::TooDeep { max: 2 }),
        (
            b"$5\r\nhello\r\n",
            DecodeError::BulkTooLong { len: 5, max: 4 },
        ),
        (b"*4\r\n", DecodeError::AggregateTooLong { len: 4, max: 3 }),
        (
            b"*3\r\n*2\r\n:1\r\n:2\r\n:3\r\n:4\r\n",
            DecodeError::TooManyElements { max: 5 },
        ),
        (b"+123456789\r\n", DecodeError::LineTooLong { max: 8 }),
    ];
    for (input, expected) in cases {
        assert_eq!(decode_all_with(tight, input).unwrap_err(), expected);
    }
    // The element limit holds inside a run of bulk strings too.
    let few = Limits::default().max_frame_elements(3);
    assert_eq!(
        decode_all_with(few, b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n").unwrap_err(),
        DecodeError::TooManyElements { max: 3 }
    );
    assert!(decode_all_with(few, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n").is_ok());
    // Chunks of a streamed string and values of a streamed aggregate count too.
    assert_eq!(
        decode_all_with(few, b"$?\r\n;1\r\na\r\n;1\r\nb\r\n;1\r\nc\r\n;0\r\n").unwrap_err(),
        DecodeError::TooManyElements { max: 3 }
    );
    let short = Limits::default().max_aggregate_len(2);
    assert_eq!(
        decode_all_with(short, b"*?\r\n:1\r\n:2\r\n:3\r\n.\r\n").unwrap_err(),
        DecodeError::AggregateTooLong { len: 3, max: 2 }
    );
    assert!(decode_all_with(short, b"%?\r\n:1\r\n:2\r\n:3\r\n:4\r\n.\r\n").is_ok());
    // The line limit holds for headers inside a run of bulk strings.
    let narrow = Limits::default().max_line_len(4);
    assert_eq!(
        decode_all_with(narrow, b"*2\r\n$00000001\r\na\r\n$1\r\nb\r\n").unwrap_err(),
        DecodeError::LineTooLong { max: 4 }
    );
    // An unbounded bulk limit cannot overflow a payload's end offset.
    let unbounded = Limits::default().max_bulk_len(usize::MAX);
    assert_eq!(unbounded.bulk_len(), isize::MAX as usize / 2);
    let mut decoder = Decoder::new(unbounded);
    assert!(matches!(
        decoder.decode(b"$18446744073709551614\r\n"),
        Err(DecodeError::BulkTooLong { .. })
    ));
    assert_eq!(decoder.decode(b"$4611686018427387900\r\n").unwrap(), None);
    // At the limits, the same shapes decode.
    assert!(decode_all_with(tight, b"*1\r\n*1\r\n:1\r\n").is_ok());
    assert!(decode_all_with(tight, b"$4\r\nhell\r\n").is_ok());
    assert!(decode_all_with(tight, b"+12345678\r\n").is_ok());
    // A map's limit counts pairs; its element limit counts keys and values.
    assert!(decode_all_with(tight, b"%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n").is_ok());
}

#[test]
fn depth_is_capped_so_building_and_dropping_stay_shallow() {
    let limits = Limits::default().max_depth(usize::MAX);
    assert_eq!(limits.depth(), MAX_DEPTH_CAP);
    assert_eq!(
        decode_all_with(limits, &nested(MAX_DEPTH_CAP + 1)).unwrap_err(),
        DecodeError::TooDeep { max: MAX_DEPTH_CAP }
    );
    // The deepest frame the cap admits is built, compared and dropped on a
    // thread with a 2 MiB stack (a tokio worker's default), in a debug build too.
    let deepest = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let input = nested(MAX_DEPTH_CAP);
            let mut decoder = Decoder::new(limits);
            let (frame, used) = decoder.decode(&input).unwrap().unwrap();
            assert_eq!(used, input.len());
            let mut depth = 0;
            let mut at = &frame;
            while let Frame::Array(items) = at {
                depth += 1;
                at = &items[0];
            }
            depth
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(deepest, MAX_DEPTH_CAP);
}

#[test]
fn the_decoder_resets_after_an_error_and_serves_a_new_stream() {
    let mut decoder = Decoder::default();
    assert!(decoder.decode(b"*2\r\n:1\r\n@x\r\n").is_err());
    let (frame, _) = decoder.decode(b"+fresh\r\n").unwrap().unwrap();
    assert_eq!(frame, Frame::SimpleString(&b"fresh"[..]));
}

#[test]
fn incomplete_input_is_not_an_error() {
    let complete = b"*3\r\n$5\r\nhello\r\n%1\r\n+k\r\n,1.5\r\n$?\r\n;2\r\nab\r\n;0\r\n";
    for end in 0..complete.len() {
        assert_eq!(
            Decoder::default().decode(&complete[..end]).unwrap(),
            None,
            "prefix {end}"
        );
    }
    assert!(Decoder::default().decode(complete).unwrap().is_some());
}

/// A lone reply whole in the buffer takes a quick path; fed a byte at a
/// time it takes the scanner. At and around every limit they agree: the
/// same frame or the same error.
#[test]
fn lone_replies_at_the_limits_decode_alike_whole_and_byte_by_byte() {
    let inputs: [&[u8]; 19] = [
        b"*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n",
        b"*2\r\n$1\r\na\r\n$1\r\nab\r\n",
        b"$-0\r\n",
        b"$01\r\nx\r\n",
        b"$?\r\n;1\r\na\r\n;0\r\n",
        b"$1\r\nab\r\n",
        b"$1\r\na\rx",
        b"+OK\r\n",
        b"+\r\n",
        b"-ERR x\r\n",
        b":12\r\n",
        b":-1234\r\n",
        b"_\r\n",
        b"#t\r\n",
        b"$-1\r\n",
        b"$0\r\n\r\n",
        b"$2\r\nab\r\n",
        b"$10\r\n0123456789\r\n",
        b"$3\r\nabc\r\n+OK\r\n",
    ];
    let (mut frames, mut errors) = (0, 0);
    for line in 0..7 {
        for bulk in [0, 1, 2, 3, 10] {
            for elements in 0..2 {
                let limits = Limits::default()
                    .max_line_len(line)
                    .max_bulk_len(bulk)
                    .max_frame_elements(elements);
                for input in inputs {
                    (frames, errors) = count_alike(limits, input, 1, (frames, errors));
                }
            }
        }
    }
    // Both sides of the limits were met.
    assert!(
        frames > 100 && errors > 100,
        "{frames} decoded, {errors} refused"
    );
}

/// Decodes `input` whole and in pieces of `piece` bytes under `limits`,
/// checks both give the same, and counts it as (decoded, refused).
fn count_alike(
    limits: Limits,
    input: &[u8],
    piece: usize,
    (frames, errors): (usize, usize),
) -> (usize, usize) {
    let whole = decode_all_with(limits, input);
    let pieces = decode_in_pieces_with(limits, input, piece);
    assert_eq!(
        format!("{whole:?}"),
        format!("{pieces:?}"),
        "{limits:?}, pieces of {piece}: {:?}",
        String::from_utf8_lossy(input)
    );
    match whole {
        Ok(_) => (frames + 1, errors),
        Err(_) => (frames, errors + 1),
    }
}

#[test]
fn flat_aggregates_at_the_limits_decode_alike_whole_and_byte_by_byte() {
    let long = format!("*2\r\n$30\r\n{}\r\n$2\r\nhi\r\n", "x".repeat(30));
    let twelve = format!("*12\r\n{}", ":1\r\n".repeat(12));
    let lines = format!("*2\r\n+{}\r\n+{}\r\n", "a".repeat(23), "b".repeat(24));
    let digits = format!("*{}1\r\n:1\r\n", "0".repeat(26));
    let inputs: [&[u8]; 32] = [
        b"*1\r\n+OK\r\n",
        b"*3\r\n:1\r\n_\r\n#f\r\n",
        b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        b"*2\r\n-ERR x\r\n$-1\r\n",
        b"*1\r\n$0\r\n\r\n",
        b"*1\r\n$10\r\n0123456789\r\n",
        b"*0\r\n",
        b"*-1\r\n",
        b"~0\r\n",
        b"~-1\r\n",
        b">-1\r\n",
        b"*01\r\n:1\r\n",
        b"*+1\r\n:1\r\n",
        b"*2\r\n*1\r\n:1\r\n:2\r\n",
        b"*2\r\n:1\r\n%1\r\n:1\r\n:2\r\n",
        b"*2\r\n:1\r\n:x\r\n",
        b"*1\r\n:99999999999999999999\r\n",
        b"*1\r\n_x\r\n",
        b"*1\r\n#x\r\n",
        b"*1\r\n+a\rb\r\n",
        b"*4\r\n,1.5\r\n(12\r\n!3\r\nerr\r\n=7\r\ntxt:abc\r\n",
        b"*1\r\n.\r\n",
        b"*1\r\n;1\r\na\r\n",
        b"*2\r\n:1\r\n$1\r\nab\r\n",
        b"*1\r\n:1\r\n*1\r\n:2\r\n",
        b"*1\r:1\r\n",
        long.as_bytes(),
        twelve.as_bytes(),
        lines.as_bytes(),
        digits.as_bytes(),
        b"*2\r\n$-1\r\n$2\r\nbc\r\n",
    ];
    let (mut frames, mut errors) = (0, 0);
    for line in [0, 1, 2, 7, 24, 30] {
        for aggregate in [0, 1, 2, 12] {
            for elements in [0, 1, 2, 3, 13] {
                for depth in [0, 1, 2] {
                    for bulk in [10, 40] {
                        let limits = Limits::default()
                            .max_line_len(line)
                            .max_bulk_len(bulk)
                            .max_aggregate_len(aggregate)
                            .max_frame_elements(elements)
                            .max_depth(depth);
                        for input in inputs {
                            (frames, errors) = count_alike(limits, input, 1, (frames, errors));
                        }
                    }
                }
            }
        }
    }
    assert!(
        frames > 500 && errors > 500,
        "{frames} decoded, {errors} refused"
    );
    // Past the first chunk of values the quick path reserves: counts at
    // its edges, long payloads late in the array, a value it does not take
    // in a later chunk.
    let leaves = |count: usize| format!("*{count}\r\n{}", "$2\r\nhi\r\n".repeat(count));
    let late_long = format!(
        "*300\r\n{}$30\r\n{}\r\n{}",
        "$2\r\nhi\r\n".repeat(200),
        "y".repeat(30),
        ":1\r\n".repeat(99)
    );
    let late_nested = format!(
        "*300\r\n{}*1\r\n:2\r\n{}",
        ":1\r\n".repeat(200),
        ":1\r\n".repeat(99)
    );
    let big = [
        leaves(128),
        leaves(129),
        leaves(256),
        leaves(513),
        late_long,
        late_nested,
    ];
    let inputs = inputs
        .iter()
        .copied()
        .chain(big.iter().map(String::as_bytes));
    // A first read that holds part of the aggregate: built up to there,
    // dropped, and taken by the scanner from the start.
    let limits = Limits::default().max_bulk_len(40);
    for piece in [5, 7, 13, 1000] {
        for input in inputs.clone() {
            count_alike(limits, input, piece, (0, 0));
        }
    }
}

#[test]
fn a_flat_aggregate_holds_exactly_its_values() {
    for count in [1, 127, 128, 129, 256, 513] {
        let input = format!("*{count}\r\n{}", ":1\r\n".repeat(count));
        let mut buf = bytes::BytesMut::from(input.as_bytes());
        let frame = Decoder::default().decode_bytes(&mut buf).unwrap().unwrap();
        let Frame::Array(items) = frame else {
            panic!("an array")
        };
        assert_eq!((items.len(), items.capacity()), (count, count));
        let (frame, _) = Decoder::default()
            .decode(input.as_bytes())
            .unwrap()
            .unwrap();
        let Frame::Array(items) = frame else {
            panic!("an array")
        };
        assert_eq!((items.len(), items.capacity()), (count, count));
    }
}
