#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Every wire example of the RESP2 and RESP3 specifications decodes to the
//! value the specification describes, whole and fed one byte at a time.

mod support;

use redwire_resp::{Attributed, Frame, OwnedFrame};
use support::{decode_all, decode_in_pieces, one};

fn simple(s: &str) -> OwnedFrame {
    Frame::SimpleString(s.as_bytes().to_vec())
}

fn bulk(s: &str) -> OwnedFrame {
    Frame::BulkString(s.as_bytes().to_vec())
}

fn error(s: &str) -> OwnedFrame {
    Frame::Error(s.as_bytes().to_vec())
}

fn ints(values: &[i64]) -> Vec<OwnedFrame> {
    values.iter().map(|&v| Frame::Integer(v)).collect()
}

#[allow(clippy::too_many_lines)] // one line per example of the specification
fn examples() -> Vec<(&'static [u8], OwnedFrame)> {
    vec![
        (b"+hello world\r\n", simple("hello world")),
        (b"+OK\r\n", simple("OK")),
        (b"-ERR this is the error description\r\n", error("ERR this is the error description")),
        (b"-Error message\r\n", error("Error message")),
        (b"-ERR unknown command 'asdf'\r\n", error("ERR unknown command 'asdf'")),
        (
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        ),
        (b":1234\r\n", Frame::Integer(1234)),
        (b":0\r\n", Frame::Integer(0)),
        (b":1000\r\n", Frame::Integer(1000)),
        (b":10\r\n", Frame::Integer(10)),
        (b":48293\r\n", Frame::Integer(48293)),
        (b"$11\r\nhello world\r\n", bulk("hello world")),
        (b"$0\r\n\r\n", bulk("")),
        (b"$5\r\nhello\r\n", bulk("hello")),
        (b"$6\r\nfoobar\r\n", bulk("foobar")),
        (b"$9\r\nGet-Reply\r\n", bulk("Get-Reply")),
        (b"$-1\r\n", Frame::NullBulk),
        (b"*1\r\n$1\r\nA\r\n", Frame::Array(vec![bulk("A")])),
        (
            b"*2\r\n*2\r\n:1\r\n:2\r\n#t\r\n",
            Frame::Array(vec![Frame::Array(ints(&[1, 2])), Frame::Boolean(true)]),
        ),
        (b"*3\r\n:1\r\n:2\r\n:3\r\n", Frame::Array(ints(&[1, 2, 3]))),
        (
            b"*2\r\n*3\r\n:1\r\n$5\r\nhello\r\n:2\r\n#f\r\n",
            Frame::Array(vec![
                Frame::Array(vec![Frame::Integer(1), bulk("hello"), Frame::Integer(2)]),
                Frame::Boolean(false),
            ]),
        ),
        (b"*0\r\n", Frame::Array(vec![])),
        (b"*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n", Frame::Array(vec![bulk("hello"), bulk("world")])),
        (b"*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n", Frame::Array(vec![bulk("foo"), bulk("bar")])),
        (
            b"*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$5\r\nhello\r\n",
            Frame::Array([ints(&[1, 2, 3, 4]), vec![bulk("hello")]].concat()),
        ),
        (
            b"*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$6\r\nfoobar\r\n",
            Frame::Array([ints(&[1, 2, 3, 4]), vec![bulk("foobar")]].concat()),
        ),
        (
            b"*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n",
            Frame::Array(vec![
                Frame::Array(ints(&[1, 2, 3])),
                Frame::Array(vec![simple("Hello"), error("World")]),
            ]),
        ),
        (
            b"*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Foo\r\n-Bar\r\n",
            Frame::Array(vec![
                Frame::Array(ints(&[1, 2, 3])),
                Frame::Array(vec![simple("Foo"), error("Bar")]),
            ]),
        ),
        (b"*-1\r\n", Frame::NullArray),
        (
            b"*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n",
            Frame::Array(vec![bulk("hello"), Frame::NullBulk, bulk("world")]),
        ),
        (
            b"*3\r\n$3\r\nfoo\r\n$-1\r\n$3\r\nbar\r\n",
            Frame::Array(vec![bulk("foo"), Frame::NullBulk, bulk("bar")]),
        ),
        (b"*2\r\n$4\r\nLLEN\r\n$6\r\nmylist\r\n", Frame::Array(vec![bulk("LLEN"), bulk("mylist")])),
        (b"_\r\n", Frame::Null),
        (b",1.23\r\n", Frame::Double(1.23)),
        (b",10\r\n", Frame::Double(10.0)),
        (b",inf\r\n", Frame::Double(f64::INFINITY)),
        (b",-inf\r\n", Frame::Double(f64::NEG_INFINITY)),
        (b",0.1923\r\n", Frame::Double(0.1923)),
        (b",0.0012\r\n", Frame::Double(0.0012)),
        (b"#t\r\n", Frame::Boolean(true)),
        (b"#f\r\n", Frame::Boolean(false)),
        (b"!21\r\nSYNTAX invalid syntax\r\n", Frame::BulkError(b"SYNTAX invalid syntax".to_vec())),
        (
            b"=15\r\ntxt:Some string\r\n",
            Frame::VerbatimString {
                format: *b"txt",
                text: b"Some string".to_vec(),
            },
        ),
        (
            b"(3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b"3492890328409238509324850943850943825024385".to_vec()),
        ),
        (
            b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            Frame::Map(vec![
                (simple("first"), Frame::Integer(1)),
                (simple("second"), Frame::Integer(2)),
            ]),
        ),
        (
            b"~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n",
            Frame::Set(vec![
                simple("orange"),
                simple("apple"),
                Frame::Boolean(true),
                Frame::Integer(100),
                Frame::Integer(999),
            ]),
        ),
        (
            b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
            Frame::Attributed(Box::new(Attributed {
                attributes: vec![(
                    simple("key-popularity"),
                    Frame::Map(vec![
                        (bulk("a"), Frame::Double(0.1923)),
                        (bulk("b"), Frame::Double(0.0012)),
                    ]),
                )],
                frame: Frame::Array(ints(&[2_039_123, 9_543_892])),
            })),
        ),
        (
            b"*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n",
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Integer(2),
                Frame::Attributed(Box::new(Attributed {
                    attributes: vec![(simple("ttl"), Frame::Integer(3600))],
                    frame: Frame::Integer(3),
                })),
            ]),
        ),
        (
            b">3\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
            Frame::Push(vec![simple("message"), simple("somechannel"), simple("this is the message")]),
        ),
        (
            b">4\r\n+pubsub\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
            Frame::Push(vec![
                simple("pubsub"),
                simple("message"),
                simple("somechannel"),
                simple("this is the message"),
            ]),
        ),
        (
            b"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n",
            Frame::StreamedString(vec![b"Hell".to_vec(), b"o wor".to_vec(), b"d".to_vec()]),
        ),
        (b"*?\r\n:1\r\n:2\r\n:3\r\n.\r\n", Frame::Array(ints(&[1, 2, 3]))),
        (
            b"%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n",
            Frame::Map(vec![(simple("a"), Frame::Integer(1)), (simple("b"), Frame::Integer(2))]),
        ),
        (b"~?\r\n:1\r\n:2\r\n:3\r\n.\r\n", Frame::Set(ints(&[1, 2, 3]))),
        (
            b"-NOPROTO sorry this protocol version is not supported\r\n",
            error("NOPROTO sorry this protocol version is not supported"),
        ),
        (b"-ERR unknown command 'HELLO'\r\n", error("ERR unknown command 'HELLO'")),
        (b"-ERR invalid password\r\n", error("ERR invalid password")),
        (
            b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n6.0.0\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:10\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
            Frame::Map(vec![
                (bulk("server"), bulk("redis")),
                (bulk("version"), bulk("6.0.0")),
                (bulk("proto"), Frame::Integer(3)),
                (bulk("id"), Frame::Integer(10)),
                (bulk("mode"), bulk("standalone")),
                (bulk("role"), bulk("master")),
                (bulk("modules"), Frame::Array(vec![])),
            ]),
        ),
    ]
}

#[test]
fn every_spec_example_decodes_to_its_value() {
    for (input, expected) in examples() {
        assert_eq!(one(input), expected, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn every_spec_example_decodes_the_same_fed_byte_by_byte() {
    for (input, expected) in examples() {
        let frames = decode_in_pieces(input, 1).unwrap();
        assert_eq!(frames, vec![expected], "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn nan_doubles_decode_as_nan() {
    for input in [&b",nan\r\n"[..], b",-nan\r\n"] {
        let Frame::Double(value) = one(input) else {
            panic!("{input:?} is not a double")
        };
        assert!(value.is_nan());
    }
}

#[test]
fn a_push_and_a_reply_in_one_read_are_two_frames_in_order() {
    let push = Frame::Push(vec![
        simple("message"),
        simple("somechannel"),
        simple("this is the message"),
    ]);
    let reply = bulk("Get-Reply");
    let frames = decode_all(
        b">3\r\n+message\r\n+somechannel\r\n+this is the message\r\n$9\r\nGet-Reply\r\n",
    )
    .unwrap();
    assert_eq!(frames, vec![push.clone(), reply.clone()]);
    let frames = decode_all(
        b"$9\r\nGet-Reply\r\n>3\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
    )
    .unwrap();
    assert_eq!(frames, vec![reply, push]);
}

#[test]
fn every_spec_example_encodes_back_to_its_bytes() {
    // Streamed aggregates decode to ordinary ones and doubles are written
    // in shortest form, so those examples are left out here.
    for (input, frame) in examples() {
        if input.starts_with(b"*?") || input.starts_with(b"%?") || input.starts_with(b"~?") {
            continue;
        }
        if input.windows(2).any(|w| w == b"\n,") || input.starts_with(b",") {
            continue;
        }
        let mut out = bytes::BytesMut::new();
        redwire_resp::encode_frame(&mut out, &frame);
        assert_eq!(&out[..], input, "{}", String::from_utf8_lossy(input));
        assert_eq!(redwire_resp::encoded_len(&frame), input.len());
    }
}
