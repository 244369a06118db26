#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Command and frame encoding.

use bytes::{Bytes, BytesMut};
use redwire_resp::{encode_command, encode_frame_checked, Decoder, EncodeError, Frame};

fn command<A: redwire_resp::Args + ?Sized>(args: &A) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode_command(&mut out, args);
    out.to_vec()
}

#[test]
fn arguments_flatten_and_bytes_stay_one_argument() {
    let keys = vec![String::from("k1"), String::from("k2")];
    let fields = std::collections::BTreeMap::from([("f1", 1), ("f2", 2)]);
    let nested: [&[&str]; 2] = [&["a"], &["b", "c"]];
    let wire = command(&(
        "X",
        &keys,
        None::<i64>,
        Some(("EX", 5)),
        &fields,
        nested,
        vec![1u8, 2],
        &[3u8, 4][..],
    ));
    let mut expected = BytesMut::new();
    encode_command(
        &mut expected,
        &[
            &b"X"[..],
            b"k1",
            b"k2",
            b"EX",
            b"5",
            b"f1",
            b"1",
            b"f2",
            b"2",
            b"a",
            b"b",
            b"c",
            &[1, 2],
            &[3, 4],
        ],
    );
    assert_eq!(wire, expected.to_vec());
}

#[test]
fn every_argument_type_encodes_as_a_bulk_string() {
    let owned = String::from("s");
    let vec = vec![b'v'];
    let bytes = Bytes::from_static(b"b");
    let wire = command(&(
        "SET",
        &b"raw"[..],
        owned,
        vec,
        bytes,
        -42i64,
        7u16,
        usize::MAX,
        1.5f64,
        0.1f32,
        i64::MIN,
        *b"arr",
    ));
    let (frame, used) = Decoder::default().decode(&wire).unwrap().unwrap();
    assert_eq!(used, wire.len());
    let Frame::Array(items) = frame else {
        panic!("an array")
    };
    let texts: Vec<&[u8]> = items.iter().map(|f| f.as_bytes().unwrap()).collect();
    let expected: [&[u8]; 12] = [
        b"SET",
        b"raw",
        b"s",
        b"v",
        b"b",
        b"-42",
        b"7",
        b"18446744073709551615",
        b"1.5",
        b"0.10000000149011612",
        b"-9223372036854775808",
        b"arr",
    ];
    assert_eq!(texts, expected);
}

#[test]
fn slices_vectors_and_arrays_of_one_type_are_commands() {
    let expected = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".to_vec();
    assert_eq!(command(&["GET", "k"]), expected);
    assert_eq!(command(&vec!["GET", "k"]), expected);
    assert_eq!(command(&["GET", "k"][..]), expected);
    assert_eq!(
        command(&[Bytes::from_static(b"GET"), Bytes::from_static(b"k")]),
        expected
    );
}

#[test]
fn binary_arguments_with_crlf_are_length_prefixed_untouched() {
    let wire = command(&("SET", "k", "a\r\nb"));
    assert_eq!(wire, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n");
}

#[test]
fn an_empty_command_is_an_empty_array() {
    assert_eq!(command::<[&str]>(&[]), b"*0\r\n");
}

#[test]
fn the_command_is_reserved_once() {
    let mut out = BytesMut::new();
    let value = "x".repeat(10_000);
    encode_command(&mut out, &("SET", "key", value.as_str()));
    assert_eq!(out.len(), 4 + 9 + 9 + 8 + 10_000 + 2);
    // One exact reservation: growing while writing would over-allocate.
    assert_eq!(out.capacity(), out.len());
}

#[test]
fn the_checked_encoder_refuses_injection_and_writes_nothing() {
    let cases: [(Frame<&str>, EncodeError); 5] = [
        (
            Frame::SimpleString("OK\r\n+x"),
            EncodeError::LineBreakInLine,
        ),
        (Frame::Error("ERR\n"), EncodeError::LineBreakInLine),
        (
            Frame::Array(vec![Frame::SimpleString("\r")]),
            EncodeError::LineBreakInLine,
        ),
        (Frame::BigNumber("12a"), EncodeError::InvalidBigNumber),
        (
            Frame::VerbatimString {
                format: *b"tx:",
                text: "t",
            },
            EncodeError::InvalidVerbatimFormat,
        ),
    ];
    for (frame, expected) in cases {
        let mut out = BytesMut::new();
        assert_eq!(
            encode_frame_checked(&mut out, &frame),
            Err(expected),
            "{frame:?}"
        );
        assert!(out.is_empty());
    }
    let mut out = BytesMut::new();
    encode_frame_checked(&mut out, &Frame::BulkString("a\r\nb")).unwrap();
    assert_eq!(&out[..], b"$4\r\na\r\nb\r\n");
}
