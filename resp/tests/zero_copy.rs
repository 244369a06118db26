#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The `Bytes` layer and the codec hand out slices of the read buffer: no
//! payload byte is copied.

use bytes::{Bytes, BytesMut};
use redwire_resp::{Decoder, Frame, RespCodec};
use tokio_util::codec::Decoder as _;

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

#[test]
fn the_codec_keeps_state_between_reads_and_splits_frames_off_without_copying() {
    let mut codec = RespCodec::default();
    let mut buf = BytesMut::with_capacity(64);
    let wire = b"$5\r\nhello\r\n:7\r\n";
    let (first, second) = wire.split_at(11);
    for &byte in first {
        if !buf.is_empty() {
            assert_eq!(codec.decode(&mut buf).unwrap(), None);
        }
        buf.extend_from_slice(&[byte]);
    }
    let start = buf.as_ptr();
    let hello = codec.decode(&mut buf).unwrap().unwrap();
    let Frame::BulkString(payload) = &hello else {
        panic!("a bulk string")
    };
    assert_eq!(&payload[..], b"hello");
    assert_eq!(payload.as_ptr(), start.wrapping_add(4), "payload copied");
    buf.extend_from_slice(second);
    assert_eq!(codec.decode(&mut buf).unwrap(), Some(Frame::Integer(7)));
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
}

#[test]
fn the_codec_reports_bad_bytes_as_a_decode_error() {
    let mut codec = RespCodec::default();
    let mut buf = BytesMut::from(&b"$-7\r\n"[..]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(matches!(
        err,
        redwire_resp::CodecError::Decode(redwire_resp::DecodeError::InvalidLength)
    ));
    assert_eq!(err.to_string(), "decode error: invalid RESP length header");
}
