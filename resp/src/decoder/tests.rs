//! Incremental decoding costs work linear in the input: bytes already
//! scanned are not scanned again when more arrive.

use alloc::format;
use alloc::vec::Vec;

use super::Decoder;
use crate::frame::Frame;

/// Feeds `input` as a growing buffer in pieces of `piece` bytes and returns
/// the bytes the decoder examined until the frame completed.
fn examined_when_fed(input: &[u8], piece: usize) -> usize {
    let mut decoder = Decoder::default();
    let mut end = 0;
    loop {
        end = (end + piece).min(input.len());
        if let Some((frame, used)) = decoder.decode(&input[..end]).unwrap() {
            assert_eq!(used, input.len());
            drop(frame);
            return decoder.examined;
        }
        assert!(end < input.len(), "complete input not decoded");
    }
}

fn array_of_small_bulks(total: usize) -> (Vec<u8>, usize) {
    let element = b"$10\r\n0123456789\r\n";
    let count = total / element.len();
    let mut input = format!("*{count}\r\n").into_bytes();
    for _ in 0..count {
        input.extend_from_slice(element);
    }
    (input, count)
}

#[test]
fn a_1_mib_array_fed_in_1_and_7_byte_pieces_is_scanned_once() {
    let (input, count) = array_of_small_bulks(1 << 20);
    for piece in [1, 7] {
        let examined = examined_when_fed(&input, piece);
        assert!(
            examined <= 2 * input.len(),
            "pieces of {piece}: examined {examined} bytes of {}",
            input.len()
        );
    }
    let (frame, _) = Decoder::default().decode(&input).unwrap().unwrap();
    let Frame::Array(items) = frame else {
        panic!("an array")
    };
    assert_eq!(items.len(), count);
    assert!(items
        .iter()
        .all(|i| i.as_bytes() == Some(&b"0123456789"[..])));
}

#[test]
fn a_64_mib_bulk_fed_in_4_kib_pieces_is_scanned_once() {
    let len = 64 << 20;
    let mut input = format!("${len}\r\n").into_bytes();
    input.resize(input.len() + len, b'z');
    input.extend_from_slice(b"\r\n");
    let examined = examined_when_fed(&input, 4096);
    assert!(
        examined <= 2 * input.len(),
        "examined {examined} of {}",
        input.len()
    );
    // The payload itself is never looked at: only the header and its CRLF.
    assert!(examined < 64, "examined {examined} bytes");
}

#[test]
fn a_long_line_fed_byte_by_byte_is_searched_once() {
    let mut input = b"+".to_vec();
    input.resize(60_000, b'a');
    input.extend_from_slice(b"\r\n");
    let examined = examined_when_fed(&input, 1);
    assert!(
        examined <= 2 * input.len(),
        "examined {examined} of {}",
        input.len()
    );
}

/// As [`examined_when_fed`], through the `Bytes` layer as a shared
/// connection takes a read's frames: every complete one in one pass.
fn examined_in_one_pass_when_fed(input: &[u8], piece: usize) -> (usize, usize) {
    let mut decoder = Decoder::default();
    let mut buf = bytes::BytesMut::new();
    let mut frames = 0;
    for chunk in input.chunks(piece) {
        buf.extend_from_slice(chunk);
        decoder
            .decode_bytes_each(&mut buf, |_| {
                frames += 1;
                core::ops::ControlFlow::Continue(())
            })
            .unwrap();
    }
    assert!(buf.is_empty(), "complete input not decoded");
    (decoder.examined, frames)
}

#[test]
fn frames_taken_in_one_pass_are_scanned_once_however_they_arrive() {
    let (array, _) = array_of_small_bulks(1 << 20);
    let mut leaves = Vec::new();
    for i in 0..20_000 {
        leaves.extend_from_slice(match i % 4 {
            0 => &b"+OK\r\n"[..],
            1 => b":12345\r\n",
            2 => b"$5\r\nvalue\r\n",
            _ => b"_\r\n",
        });
    }
    let mut long_line = b"+".to_vec();
    long_line.resize(60_000, b'a');
    long_line.extend_from_slice(b"\r\n");
    // The frames, and those of them the quick path for lone replies leaves
    // to the scanner (an aggregate, a line longer than it looks at).
    for (input, frames, not_quick) in [(&array, 1, 1), (&leaves, 20_000, 0), (&long_line, 1, 1)] {
        for piece in [1, 7, 4096] {
            let (examined, taken) = examined_in_one_pass_when_fed(input, piece);
            assert_eq!(taken, frames);
            // The quick paths look at the start of a frame they cannot take
            // once a read (a lone reply's short line; a flat aggregate's
            // values, at most the bytes of that read) and once for each frame
            // that is no lone reply: within the slack of the bound.
            let quick = super::SHORT_LINE + 3;
            let reads = input.len().div_ceil(piece);
            let bound = 2 * input.len() + piece.min(quick) * reads + quick * not_quick;
            assert!(
                examined <= bound,
                "pieces of {piece}: examined {examined} bytes of {}",
                input.len()
            );
        }
    }
}
