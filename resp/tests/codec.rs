#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The tokio-util codec (feature `codec`): it keeps its scan state between
//! reads, splits frames off the read buffer without copying, and reports
//! bad bytes as a typed error.

use bytes::BytesMut;
use redwire_resp::{Frame, RespCodec};
use tokio_util::codec::Decoder as _;

#[test]
fn the_codec_keeps_state_between_reads_and_splits_frames_off_without_copying() {
    let mut codec = RespCodec::default();
    let mut buf = BytesMut::with_capacity(64);
    // A payload longer than `INLINE`: a slice of the buffer, not a copy.
    let wire = b"$24\r\nhello, this is no copy!!\r\n:7\r\n";
    let (first, second) = wire.split_at(31);
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
    assert_eq!(&payload[..], b"hello, this is no copy!!");
    assert_eq!(payload.as_ptr(), start.wrapping_add(5), "payload copied");
    buf.extend_from_slice(second);
    assert_eq!(codec.decode(&mut buf).unwrap(), Some(Frame::Integer(7)));
    // A short payload is a copy, holding none of the buffer.
    buf.extend_from_slice(b"$2\r\nhi\r\n");
    let source = buf.as_ptr_range();
    let hi = codec.decode(&mut buf).unwrap().unwrap();
    assert_eq!(hi, Frame::BulkString("hi".into()));
    assert!(!source.contains(&hi.as_bytes().unwrap().as_ptr()));
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
