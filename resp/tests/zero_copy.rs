#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The `Payload` layer (`decode_bytes`) hands out slices of the read buffer
//! for payloads longer than `INLINE` bytes and holds shorter ones inline,
//! keeping no reference to the buffer (a lone `OK`, `QUEUED` or `PONG` is
//! static); the borrowed layer hands out slices of its input, copying
//! nothing.

use std::ops::ControlFlow;

use bytes::BytesMut;
use redwire_resp::{DecodeError, Decoder, Frame, Payload, INLINE};

fn inside(payload: &[u8], buffer: &[u8]) -> bool {
    let range = buffer.as_ptr_range();
    payload.is_empty()
        || (range.contains(&payload.as_ptr()) && payload.as_ptr_range().end <= range.end)
}

#[test]
fn bytes_layer_payloads_point_into_the_read_buffer_but_the_short_ones() {
    let big = vec![b'x'; 1 << 20];
    let mut input = b"*4\r\n$1048576\r\n".to_vec();
    input.extend_from_slice(&big);
    input.extend_from_slice(b"\r\n+status\r\n=8\r\ntxt:text\r\n");
    input.extend_from_slice(b"+a simple string longer than inline\r\n");
    let mut buf = BytesMut::from(&input[..]);
    let source_range = buf.as_ptr_range();
    let frame = Decoder::default().decode_bytes(&mut buf).unwrap().unwrap();
    let Frame::Array(items) = &frame else {
        panic!("an array")
    };
    let payloads: Vec<&Payload> = items
        .iter()
        .map(|item| match item {
            Frame::BulkString(b)
            | Frame::SimpleString(b)
            | Frame::VerbatimString { text: b, .. } => b,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(payloads[0].len(), 1 << 20);
    assert_eq!(payloads[1], "status");
    assert_eq!(payloads[2], "text");
    for payload in payloads {
        assert_eq!(
            source_range.contains(&payload.as_ptr()),
            payload.len() > INLINE,
            "{payload:?}: a long payload is a slice of the read buffer, a short one a copy"
        );
    }
}

#[test]
fn short_payloads_keep_no_reference_to_the_read_buffer() {
    let mut buf = BytesMut::with_capacity(256);
    buf.extend_from_slice(b"+status\r\n*2\r\n$5\r\nhello\r\n$3\r\nkey\r\n$2\r\nhi\r\n");
    let mut decoder = Decoder::default();
    let mut kept = Vec::new();
    while let Some(frame) = decoder.decode_bytes(&mut buf).unwrap() {
        kept.push(frame);
    }
    assert_eq!(kept.len(), 3);
    // Every byte was taken: the buffer can be reused whole, as nothing
    // decoded holds a part of it.
    assert!(buf.is_empty());
    assert!(
        buf.try_reclaim(256),
        "a short payload holds the read buffer"
    );
    // A long payload does hold it.
    buf.extend_from_slice(b"$30\r\n012345678901234567890123456789\r\n");
    let long = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    assert!(!buf.try_reclaim(256));
    drop(long);
    assert!(buf.try_reclaim(256));
    assert_eq!(kept[2], Frame::BulkString("hi".into()));
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
fn a_lone_reply_takes_its_bytes_off_the_buffer() {
    let mut buf =
        BytesMut::from(&b"$5\r\nhello\r\n+OK\r\n$24\r\n012345678901234567890123\r\n:7\r\n"[..]);
    let source = buf.as_ptr_range();
    let mut decoder = Decoder::default();
    let hello = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    assert_eq!(hello, Frame::BulkString("hello".into()));
    // Short: a copy.
    assert!(!source.contains(&hello.as_bytes().unwrap().as_ptr()));
    // Its bytes are gone from the buffer, the next reply is next.
    assert_eq!(&buf[..5], b"+OK\r\n");
    let ok = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    assert_eq!(ok, Frame::SimpleString("OK".into()));
    assert!(!source.contains(&ok.as_bytes().unwrap().as_ptr()));
    // One byte past inline: a slice, not a copy.
    let long = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    let payload = long.as_bytes().unwrap();
    assert_eq!(payload, b"012345678901234567890123");
    assert!(
        source.contains(&payload.as_ptr()),
        "a long payload is not copied"
    );
    let seven = decoder.decode_bytes(&mut buf).unwrap().unwrap();
    assert_eq!(seven, Frame::Integer(7));
    assert!(buf.is_empty());
}

#[test]
fn the_commonest_lone_replies_are_static_neither_copied_nor_sliced() {
    let mut buf = BytesMut::from(&b"+OK\r\n+QUEUED\r\n+PONG\r\n+OKAY\r\n"[..]);
    let source = buf.as_ptr_range();
    let mut decoder = Decoder::default();
    for (expected, is_static) in [
        ("OK", true),
        ("QUEUED", true),
        ("PONG", true),
        ("OKAY", false),
    ] {
        let frame = decoder.decode_bytes(&mut buf).unwrap().unwrap();
        assert_eq!(frame, Frame::SimpleString(expected.into()));
        let at = frame.as_bytes().unwrap().as_ptr();
        // Inline bytes lie inside the frame value itself.
        let frame_range = std::ptr::from_ref(&frame).cast::<u8>();
        let frame_range = frame_range..frame_range.wrapping_add(size_of::<Frame>());
        assert!(
            !source.contains(&at),
            "{expected}: a slice of the read buffer"
        );
        assert_eq!(!frame_range.contains(&at), is_static, "{expected}");
    }
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
        Frame::Array(vec![Frame::Integer(1), Frame::BulkString("x".into())])
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
            Frame::SimpleString("fine".into())
        ]
    );
}

#[test]
fn payloads_of_inline_length_are_copies_and_one_byte_more_are_slices() {
    let exactly = "x".repeat(INLINE);
    let one_more = "y".repeat(INLINE + 1);
    let bulk = |text: &str| format!("${}\r\n{text}\r\n", text.len());
    let simple = |text: &str| format!("+{text}\r\n");
    // Each alone (the quick path and, once the decoder is mid-frame, the
    // scanner), at the end of the read (no window past it) and not, and as
    // elements of an array.
    let alone = [
        bulk(&exactly),
        bulk(&one_more),
        simple(&exactly),
        simple(&one_more),
    ];
    let array = format!("*4\r\n{}", alone.concat());
    for (input, payloads) in [
        (alone.concat(), 4),
        (alone[3].clone() + &alone[2], 2),
        (array, 4),
    ] {
        for piece in [input.len(), 7] {
            let mut decoder = Decoder::default();
            let mut buf = BytesMut::with_capacity(input.len());
            let mut frames = Vec::new();
            for chunk in input.as_bytes().chunks(piece) {
                buf.extend_from_slice(chunk);
                let source = buf.as_ptr_range();
                while let Some(frame) = decoder.decode_bytes(&mut buf).unwrap() {
                    frames.push((frame, source.clone()));
                }
            }
            let mut checked = 0;
            for (frame, source) in &frames {
                let items = match frame {
                    Frame::Array(items) => items.iter().collect(),
                    leaf => vec![leaf],
                };
                for item in items {
                    let payload = item.as_bytes().unwrap();
                    assert!(payload == exactly.as_bytes() || payload == one_more.as_bytes());
                    assert_eq!(
                        source.contains(&payload.as_ptr()),
                        payload.len() > INLINE,
                        "{input:?} in pieces of {piece}: {item:?}"
                    );
                    checked += 1;
                }
            }
            assert_eq!(checked, payloads);
        }
    }
}
