#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The `Bytes` layer hands out slices of the read buffer, and the borrowed
//! layer slices of its input: no payload byte is copied.

use bytes::{Bytes, BytesMut};
use redwire_resp::{Decoder, Frame};

fn inside(payload: &[u8], buffer: &[u8]) -> bool {
    let range = buffer.as_ptr_range();
    payload.is_empty()
        || (range.contains(&payload.as_ptr()) && payload.as_ptr_range().end <= range.end)
}

#[test]
fn bytes_layer_payloads_point_into_the_read_buffer() {
    let big = vec![b'x'; 1 << 20];
    let mut input = b"*3\r\n$1048576\r\n".to_vec();
    input.extend_from_slice(&big);
    input.extend_from_slice(b"\r\n+status\r\n=8\r\ntxt:text\r\n");
    let mut buf = BytesMut::from(&input[..]);
    let source_range = buf.as_ptr_range();
    let frame = Decoder::default().decode_bytes(&mut buf).unwrap().unwrap();
    let Frame::Array(items) = &frame else {
        panic!("an array")
    };
    let payloads: Vec<&Bytes> = items
        .iter()
        .map(|item| match item {
            Frame::BulkString(b)
            | Frame::SimpleString(b)
            | Frame::VerbatimString { text: b, .. } => b,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(payloads[0].len(), 1 << 20);
    for payload in payloads {
        let p = payload.as_ptr();
        assert!(
            source_range.contains(&p),
            "payload copied out of the read buffer"
        );
    }
}

#[test]
fn borrowed_layer_payloads_are_subslices_of_the_input() {
    let input = b"%1\r\n$3\r\nkey\r\n*2\r\n+a\r\n!3\r\nerr\r\n";
    let (frame, _) = Decoder::default().decode(input).unwrap().unwrap();
    let Frame::Map(pairs) = frame else {
        panic!("a map")
    };
    let (key, Frame::Array(items)) = &pairs[0] else {
        panic!("an array value")
    };
    assert!(inside(key.as_bytes().unwrap(), input));
    for item in items {
        assert!(inside(item.as_bytes().unwrap(), input));
    }
}
