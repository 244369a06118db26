//! Sans-IO RESP2 and RESP3 for Redis and Valkey: an incremental, hardened
//! decoder that never copies a long payload and a one-pass encoder,
//! `no_std` with `alloc`.
//!
//! ```
//! use bytes::BytesMut;
//! use redwire_resp::{encode_command, Decoder, Frame};
//!
//! // Encode a command for the server.
//! let mut out = BytesMut::new();
//! encode_command(&mut out, &("HSET", "user:1", "visits", 3));
//! assert_eq!(&out[..], b"*4\r\n$4\r\nHSET\r\n$6\r\nuser:1\r\n$6\r\nvisits\r\n$1\r\n3\r\n");
//!
//! // Decode a RESP3 reply as it arrives.
//! let mut decoder = Decoder::default();
//! let mut read = BytesMut::from(&b"%1\r\n$6\r\nvisits\r"[..]);
//! assert_eq!(decoder.decode_bytes(&mut read).unwrap(), None); // incomplete: state kept
//! read.extend_from_slice(b"\n:3\r\n");
//! let reply = decoder.decode_bytes(&mut read).unwrap().unwrap();
//! let Frame::Map(pairs) = reply else { panic!("a map") };
//! assert_eq!(pairs[0].0.as_bytes(), Some(&b"visits"[..]));
//! assert_eq!(pairs[0].1, Frame::Integer(3));
//! ```
//!
//! # Layers
//!
//! [`Frame<B>`](Frame) is generic over how payloads are held: [`FrameRef`]
//! borrows the input (`Decoder::decode`), [`Frame`] holds [`Payload`]s
//! (`Decoder::decode_bytes`, the codec, and `Decoder::decode_bytes_each`
//! for every complete frame of a read in one pass), [`OwnedFrame`] owns
//! `Vec<u8>`s (`Frame::to_owned_frame`). A [`Payload`] of up to [`INLINE`]
//! bytes is a copy held in the frame (no reference to the read buffer, no
//! allocation); a longer one is a `Bytes` slice of the read buffer (a
//! reference count taken and dropped, no copy). The borrowed layer is the
//! faster one where a frame need not outlive the buffer.
//!
//! # Hostile input
//!
//! The [`Decoder`] validates a whole frame before building it, against its
//! [`Limits`]: nesting depth, bulk length, aggregate length, values per
//! frame, line length. Every violation is a [`DecodeError`] returned as soon
//! as the offending header is read; nothing is reserved for elements that
//! have not arrived, so memory stays proportional to the bytes received.
//!
//! # Features
//!
//! - `std` (default): `std` in `bytes` and runtime SIMD detection in `memchr`.
//! - `codec`: [`RespCodec`], a tokio-util `Decoder`/`Encoder`.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "codec")]
mod codec;
mod decoder;
mod encoder;
mod error;
mod frame;
mod limits;
mod number;
mod payload;
mod tape;

#[cfg(feature = "codec")]
pub use codec::{CodecError, RespCodec};
pub use decoder::Decoder;
pub use encoder::{
    encode_command, encode_frame, encode_frame_checked, encoded_len, Arg, ArgBuf, Args,
};
pub use error::{DecodeError, EncodeError};
pub use frame::{Attributed, Frame, FrameRef, OwnedFrame};
pub use limits::{Limits, MAX_DEPTH_CAP};
pub use payload::{Payload, INLINE};
