//! Feeding the same bytes in pieces gives the same frames and the same
//! error as feeding them whole, and taking each read's frames in one pass
//! (`decode_bytes_each`) gives what taking them one at a time does. The
//! first byte picks the piece size.
#![no_main]

use std::ops::ControlFlow;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redwire_resp::{DecodeError, Decoder, Frame};

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let piece = usize::from(first % 64) + 1;
    assert_eq!(whole(input), in_pieces(input, piece));
});

type Outcome = (Vec<String>, Option<DecodeError>);

fn whole(input: &[u8]) -> Outcome {
    let mut buf = BytesMut::from(input);
    drain(&mut Decoder::default(), &mut buf, Vec::new())
}

fn in_pieces(input: &[u8], piece: usize) -> Outcome {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in input.chunks(piece) {
        buf.extend_from_slice(chunk);
        let taken = decoder.decode_bytes_each(&mut buf, |frame| {
            frames.push(describe(&frame));
            ControlFlow::Continue(())
        });
        if let Err(error) = taken {
            return (frames, Some(error));
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

fn describe(frame: &Frame) -> String {
    format!("{frame:?}")
}
