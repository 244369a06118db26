#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The fuzz seed corpus, replayed through the decoder as an ordinary test:
//! whole and in pieces agree, and every frame re-encodes to itself.

mod support;

use std::path::Path;

use support::{decode_all, decode_in_pieces};

#[test]
fn the_seed_corpus_decodes_alike_whole_and_in_pieces() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/decode");
    let mut seeds = 0;
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        let whole = decode_all(&input).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!whole.is_empty(), "{}", path.display());
        for piece in [1, 2, 7] {
            let fed = decode_in_pieces(&input, piece).unwrap();
            // Compared as text so that NaN doubles compare equal.
            assert_eq!(
                format!("{fed:?}"),
                format!("{whole:?}"),
                "{}",
                path.display()
            );
        }
        for frame in &whole {
            let mut wire = bytes::BytesMut::new();
            redwire_resp::encode_frame(&mut wire, frame);
            assert_eq!(
                format!("{:?}", decode_all(&wire).unwrap()),
                format!("{:?}", [frame])
            );
        }
        seeds += 1;
    }
    assert!(seeds >= 10, "only {seeds} seeds in {}", corpus.display());
}
