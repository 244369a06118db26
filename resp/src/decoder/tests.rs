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
