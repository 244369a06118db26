//! Decoding helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub, clippy::panic)]

use std::ops::ControlFlow;

use bytes::BytesMut;
use redwire_resp::{DecodeError, Decoder, Limits, OwnedFrame};

/// Decodes every frame of `input` through the borrowed layer, checks that
/// the `Payload` layer (`decode_bytes`) gives the same frames, and returns
/// them owned.
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
        "borrowed and Payload layers disagree"
    );
    let (from_each, error) = each_frame(&mut decoder, &mut BytesMut::from(input), Vec::new());
    assert_eq!(error, None);
    assert_eq!(
        format!("{frames:?}"),
        format!("{from_each:?}"),
        "frames one at a time and in one pass disagree"
    );
    Ok(frames)
}

/// Every complete frame in `buf`, taken in one pass
/// (`Decoder::decode_bytes_each`), after `frames`; and the error that
/// stopped it, if any.
pub fn each_frame(
    decoder: &mut Decoder,
    buf: &mut BytesMut,
    mut frames: Vec<OwnedFrame>,
) -> (Vec<OwnedFrame>, Option<DecodeError>) {
    let outcome = decoder.decode_bytes_each(buf, |frame| {
        frames.push(frame.to_owned_frame());
        ControlFlow::Continue(())
    });
    (frames, outcome.err())
}

/// Decodes `input` fed in pieces of `piece` bytes, as a socket would
/// deliver it; checks that taking each read's frames in one pass gives the
/// same frames, or the same error after them.
pub fn decode_in_pieces(input: &[u8], piece: usize) -> Result<Vec<OwnedFrame>, DecodeError> {
    decode_in_pieces_with(Limits::default(), input, piece)
}

pub fn decode_in_pieces_with(
    limits: Limits,
    input: &[u8],
    piece: usize,
) -> Result<Vec<OwnedFrame>, DecodeError> {
    let (mut decoder, mut buf, mut frames) = (Decoder::new(limits), BytesMut::new(), Vec::new());
    let (mut each_decoder, mut each_buf, mut each) =
        (Decoder::new(limits), BytesMut::new(), Vec::new());
    for chunk in input.chunks(piece.max(1)) {
        buf.extend_from_slice(chunk);
        each_buf.extend_from_slice(chunk);
        let error = loop {
            match decoder.decode_bytes(&mut buf) {
                Ok(Some(frame)) => frames.push(frame.to_owned_frame()),
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let (more, each_error) = each_frame(&mut each_decoder, &mut each_buf, each);
        each = more;
        assert_eq!(format!("{frames:?}"), format!("{each:?}"));
        assert_eq!(error, each_error);
        assert_eq!(buf, each_buf);
        if let Some(e) = error {
            return Err(e);
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
