//! Decoding helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::panic)]

use bytes::BytesMut;
use redwire_resp::{DecodeError, Decoder, Limits, OwnedFrame};

/// Decodes every frame of `input` through the borrowed layer, checks that
/// the `Bytes` layer gives the same frames, and returns them owned.
pub fn decode_all(input: &[u8]) -> Result<Vec<OwnedFrame>, DecodeError> {
    decode_all_with(Limits::default(), input)
}

pub fn decode_all_with(limits: Limits, input: &[u8]) -> Result<Vec<OwnedFrame>, DecodeError> {
    let mut decoder = Decoder::new(limits);
    let mut frames = Vec::new();
    let mut at = 0;
    while at < input.len() {
        match decoder.decode(&input[at..])? {
            Some((frame, used)) => {
                frames.push(frame.to_owned_frame());
                at += used;
            }
            None => panic!("input ends inside a frame at byte {at}"),
        }
    }
    let mut buf = BytesMut::from(input);
    let mut from_bytes = Vec::new();
    while let Some(frame) = decoder.decode_bytes(&mut buf)? {
        from_bytes.push(frame.to_owned_frame());
    }
    assert!(buf.is_empty());
    // Compared as text so that NaN doubles compare equal.
    assert_eq!(
        format!("{frames:?}"),
        format!("{from_bytes:?}"),
        "borrowed and Bytes layers disagree"
    );
    Ok(frames)
}

/// Decodes `input` fed in pieces of `piece` bytes, as a socket would deliver it.
pub fn decode_in_pieces(input: &[u8], piece: usize) -> Result<Vec<OwnedFrame>, DecodeError> {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in input.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        while let Some(frame) = decoder.decode_bytes(&mut buf)? {
            frames.push(frame.to_owned_frame());
        }
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    Ok(frames)
}

/// The single frame `input` holds.
pub fn one(input: &[u8]) -> OwnedFrame {
    let mut frames = decode_all(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    assert_eq!(frames.len(), 1, "{input:?}");
    frames.remove(0)
}
