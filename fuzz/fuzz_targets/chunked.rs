//! Feeding the same bytes in pieces gives the same frames and the same
//! error as feeding them whole, whether each read's frames are taken one at
//! a time (`decode_bytes`) or in one pass (`decode_bytes_each`). The first
//! byte picks the piece size; the second, small limits or the defaults (a
//! lone reply or a flat aggregate whole in the buffer takes a quick path
//! that must refuse what the scanner refuses).
#![no_main]

use std::ops::ControlFlow;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redwire_resp::{DecodeError, Decoder, Frame, Limits};

fuzz_target!(|data: &[u8]| {
    let [first, second, input @ ..] = data else {
        return;
    };
    let piece = usize::from(first % 64) + 1;
    let limits = limits(*second);
    let whole = whole(input, limits);
    assert_eq!(whole, in_pieces(input, piece, limits, drain));
    assert_eq!(whole, in_pieces(input, piece, limits, in_one_pass));
});

type Outcome = (Vec<String>, Option<DecodeError>);

/// The defaults when the high bit is clear, else small limits from the rest.
fn limits(byte: u8) -> Limits {
    if byte & 0x80 == 0 {
        return Limits::default();
    }
    Limits::default()
        .max_line_len(usize::from(byte & 0x07))
        .max_bulk_len(usize::from((byte >> 3) & 0x07))
        .max_frame_elements(usize::from((byte >> 6) & 0x01) * 4)
}

fn whole(input: &[u8], limits: Limits) -> Outcome {
    let mut buf = BytesMut::from(input);
    drain(&mut Decoder::new(limits), &mut buf, Vec::new())
}

fn in_pieces(
    input: &[u8],
    piece: usize,
    limits: Limits,
    take: fn(&mut Decoder, &mut BytesMut, Vec<String>) -> Outcome,
) -> Outcome {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in input.chunks(piece) {
        buf.extend_from_slice(chunk);
        let (more, error) = take(&mut decoder, &mut buf, frames);
        frames = more;
        if error.is_some() {
            return (frames, error);
        }
    }
    (frames, None)
}

fn drain(decoder: &mut Decoder, buf: &mut BytesMut, mut frames: Vec<String>) -> Outcome {
    loop {
        match decoder.decode_bytes(buf) {
            Ok(Some(frame)) => frames.push(describe(&frame)),
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(e)),
        }
    }
}

fn in_one_pass(decoder: &mut Decoder, buf: &mut BytesMut, mut frames: Vec<String>) -> Outcome {
    let taken = decoder.decode_bytes_each(buf, |frame| {
        frames.push(describe(&frame));
        ControlFlow::Continue(())
    });
    (frames, taken.err())
}

fn describe(frame: &Frame) -> String {
    format!("{frame:?}")
}
