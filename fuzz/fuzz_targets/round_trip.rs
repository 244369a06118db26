//! Frames built from arbitrary data encode to bytes that decode to the same
//! frame, whole and byte by byte.
#![no_main]

use arbitrary::{Result, Unstructured};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use redwire_resp::{encode_frame_checked, encoded_len, Attributed, Decoder, Frame, OwnedFrame};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(frame) = frame(&mut u, 0) else {
        return;
    };
    let mut wire = BytesMut::new();
    if encode_frame_checked(&mut wire, &frame).is_err() {
        return;
    }
    assert_eq!(wire.len(), encoded_len(&frame));
    let (decoded, used) = Decoder::default().decode(&wire).unwrap().unwrap();
    assert_eq!(used, wire.len());
    assert_eq!(format!("{:?}", decoded.to_owned_frame()), format!("{frame:?}"));

    let mut decoder = Decoder::default();
    for end in 1..wire.len() {
        assert!(decoder.decode(&wire[..end]).unwrap().is_none());
    }
    let (fed, _) = decoder.decode(&wire).unwrap().unwrap();
    assert_eq!(format!("{:?}", fed.to_owned_frame()), format!("{frame:?}"));
});

fn line(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let bytes: Vec<u8> = u.arbitrary()?;
    Ok(bytes.into_iter().filter(|b| *b != b'\r' && *b != b'\n').collect())
}

fn items(u: &mut Unstructured<'_>, depth: usize) -> Result<Vec<OwnedFrame>> {
    let count = u.int_in_range(0..=4)?;
    (0..count).map(|_| frame(u, depth + 1)).collect()
}

fn pairs(u: &mut Unstructured<'_>, depth: usize) -> Result<Vec<(OwnedFrame, OwnedFrame)>> {
    let count = u.int_in_range(0..=3)?;
    (0..count)
        .map(|_| Ok((frame(u, depth + 1)?, frame(u, depth + 1)?)))
        .collect()
}

fn frame(u: &mut Unstructured<'_>, depth: usize) -> Result<OwnedFrame> {
    let leaves_only = depth >= 6;
    let choice = u.int_in_range(0..=if leaves_only { 12 } else { 17 })?;
    Ok(match choice {
        0 => Frame::SimpleString(line(u)?),
        1 => Frame::Error(line(u)?),
        2 => Frame::Integer(u.arbitrary()?),
        3 => Frame::BulkString(u.arbitrary()?),
        4 => Frame::NullBulk,
        5 => Frame::NullArray,
        6 => Frame::Null,
        7 => Frame::Boolean(u.arbitrary()?),
        8 => Frame::Double(u.arbitrary()?),
        9 => {
            let digits: u128 = u.arbitrary()?;
            let sign = if u.arbitrary()? { "-" } else { "" };
            Frame::BigNumber(format!("{sign}{digits}").into_bytes())
        }
        10 => Frame::BulkError(u.arbitrary()?),
        11 => Frame::VerbatimString {
            format: *b"txt",
            text: u.arbitrary()?,
        },
        12 => {
            let chunks: Vec<Vec<u8>> = u.arbitrary()?;
            Frame::StreamedString(chunks.into_iter().filter(|c| !c.is_empty()).collect())
        }
        13 => Frame::Array(items(u, depth)?),
        14 => Frame::Set(items(u, depth)?),
        15 => Frame::Push(items(u, depth)?),
        16 => Frame::Map(pairs(u, depth)?),
        _ => {
            let mut attributes = pairs(u, depth)?;
            if attributes.is_empty() {
                attributes.push((Frame::Null, Frame::Null));
            }
            let frame = frame(u, depth + 1)?;
            Frame::Attributed(Box::new(Attributed { attributes, frame }))
        }
    })
}
