#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The `Bytes` layer hands out slices of the read buffer (a lone `OK`,
//! `QUEUED` or `PONG` is static instead), and the borrowed layer slices of
//! its input: no payload byte is copied.

use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};
use redwire_resp::{DecodeError, Decoder, Frame};

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
fn a_lone_reply_is_a_slice_of_its_payload_and_the_commonest_are_static() {
    let mut buf = BytesMut::from(&b"$5\r\nhello\r\n+OK\r\n+QUEUED\r\n+PONG\r\n:7\r\n"[..]);
    let source = buf.as_ptr_range();
    let mut decoder = Decoder::default();
    let hello = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    let Frame::BulkString(hello) = hello else {
        panic!("a bulk string")
    };
    assert_eq!(hello, &b"hello"[..]);
    assert!(source.contains(&hello.as_ptr()), "a payload is not copied");
    // Its bytes are gone from the buffer, the next reply is next.
    assert_eq!(&buf[..5], b"+OK\r\n");
    // `OK`, `QUEUED` and `PONG` are static: kept, they keep no read buffer alive.
    for expected in [&b"OK"[..], b"QUEUED", b"PONG"] {
        let frame = decoder.decode_bytes(&mut buf).unwrap().unwrap();
        assert_eq!(frame, Frame::SimpleString(Bytes::from_static(expected)));
        assert!(!source.contains(&frame.as_bytes().unwrap().as_ptr()));
    }
    let seven = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    assert_eq!(seven, Frame::Integer(7));
    assert!(buf.is_empty());
}

#[test]
fn frames_taken_in_one_pass_stop_where_asked_and_before_an_error() {
    let mut buf = BytesMut::from(&b"+OK\r\n*2\r\n:1\r\n$1\r\nx\r\n:3\r\n:4\r\n"[..]);
    let mut decoder = Decoder::default();
    let mut frames = Vec::new();
    decoder
        .decode_bytes_each(&mut buf, |frame| {
            frames.push(frame);
            if frames.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[1],
        Frame::Array(vec![
            Frame::Integer(1),
            Frame::BulkString(Bytes::from_static(b"x"))
        ])
    );
    assert_eq!(&buf[..], b":3\r\n:4\r\n", "what follows the break is left");
    // An error: the frames before it are handed over, then it is returned.
    buf.extend_from_slice(b"+fine\r\n:not a number\r\n:5\r\n");
    frames.clear();
    let outcome = decoder.decode_bytes_each(&mut buf, |frame| {
        frames.push(frame);
        ControlFlow::Continue(())
    });
    assert_eq!(outcome, Err(DecodeError::InvalidInteger));
    assert_eq!(
        frames,
        [
            Frame::Integer(3),
            Frame::Integer(4),
            Frame::SimpleString(Bytes::from_static(b"fine"))
        ]
    );
}
