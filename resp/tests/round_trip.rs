#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Property tests: encoding then decoding gives the same frame, and any
//! split of a byte stream decodes to the same frames as the whole.

mod support;

use bytes::BytesMut;
use proptest::prelude::*;
use redwire_resp::{
    encode_frame, encode_frame_checked, encoded_len, Attributed, Frame, OwnedFrame,
};
use support::{decode_all, decode_in_pieces};

fn line() -> impl Strategy<Value = Vec<u8>> {
    // Simple strings and errors cannot hold CR or LF.
    proptest::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..16,
    )
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..40)
}

fn leaf() -> impl Strategy<Value = OwnedFrame> {
    prop_oneof![
        line().prop_map(Frame::SimpleString),
        line().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        payload().prop_map(Frame::BulkString),
        Just(Frame::NullBulk),
        Just(Frame::NullArray),
        Just(Frame::Null),
        any::<bool>().prop_map(Frame::Boolean),
        any::<f64>()
            .prop_filter("NaN never equals itself", |v| !v.is_nan())
            .prop_map(Frame::Double),
        "[-+]?[0-9]{1,60}".prop_map(|s| Frame::BigNumber(s.into_bytes())),
        payload().prop_map(Frame::BulkError),
        ("[a-z]{3}", payload()).prop_map(|(f, text)| Frame::VerbatimString {
            format: f.as_bytes().try_into().unwrap(),
            text,
        }),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..8), 0..4)
            .prop_map(Frame::StreamedString),
    ]
}

fn frame() -> impl Strategy<Value = OwnedFrame> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Set),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Frame::Push),
            pairs.clone().prop_map(Frame::Map),
            (
                proptest::collection::vec((inner.clone(), inner.clone()), 1..3),
                inner
            )
                .prop_map(|(attributes, frame)| Frame::Attributed(Box::new(
                    Attributed { attributes, frame }
                ))),
        ]
    })
}

fn encode(frame: &OwnedFrame) -> BytesMut {
    let mut out = BytesMut::new();
    encode_frame(&mut out, frame);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_gives_the_same_frame(frame in frame()) {
        let wire = encode(&frame);
        prop_assert_eq!(wire.len(), encoded_len(&frame));
        let mut checked = BytesMut::new();
        prop_assert!(encode_frame_checked(&mut checked, &frame).is_ok());
        prop_assert_eq!(&checked, &wire);
        prop_assert_eq!(decode_all(&wire).unwrap(), vec![frame]);
    }

    #[test]
    fn any_split_decodes_like_the_whole(
        frames in proptest::collection::vec(frame(), 1..6),
        piece in 1usize..64,
    ) {
        let mut wire = BytesMut::new();
        for frame in &frames {
            encode_frame(&mut wire, frame);
        }
        prop_assert_eq!(decode_in_pieces(&wire, piece).unwrap(), frames.clone());
        prop_assert_eq!(decode_all(&wire).unwrap(), frames);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_split_like_the_whole(
        input in proptest::collection::vec(prop_oneof![
            4 => any::<u8>(),
            6 => prop::sample::select(b"*$%~>|:+-_#,(!=;.?\r\n0123456789".to_vec()),
        ], 0..200),
        piece in 1usize..16,
    ) {
        let mut decoder = redwire_resp::Decoder::default();
        let whole = decoder.decode(&input).map(|r| r.map(|(f, n)| (f.to_owned_frame(), n)));
        let mut decoder = redwire_resp::Decoder::default();
        let mut fed = Err(redwire_resp::DecodeError::InvalidLength);
        let mut end = 0;
        while end < input.len() {
            end = (end + piece).min(input.len());
            fed = decoder.decode(&input[..end]).map(|r| r.map(|(f, n)| (f.to_owned_frame(), n)));
            if !matches!(fed, Ok(None)) {
                break;
            }
        }
        if !input.is_empty() {
            prop_assert_eq!(format!("{fed:?}"), format!("{whole:?}"));
        }
    }
}
