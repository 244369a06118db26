//! Arbitrary bytes: every frame decoded re-encodes to bytes that decode to
//! the same frame; errors are typed, never a panic.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redwire_resp::{encode_frame, Decoder};

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::default();
    let mut at = 0;
    while let Ok(Some((frame, used))) = decoder.decode(&data[at..]) {
        assert!(used > 0 && at + used <= data.len());
        at += used;
        let mut wire = BytesMut::new();
        encode_frame(&mut wire, &frame);
        let (again, again_used) = Decoder::default()
            .decode(&wire)
            .expect("re-encoded frame decodes")
            .expect("re-encoded frame is complete");
        assert_eq!(again_used, wire.len());
        // Debug text compares NaN doubles as equal.
        assert_eq!(format!("{again:?}"), format!("{frame:?}"));
    }
});

