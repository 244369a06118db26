//! A tokio-util codec over the decoder and the checked encoder.

use bytes::BytesMut;

use crate::decoder::Decoder;
use crate::encoder::encode_frame_checked;
use crate::error::{DecodeError, EncodeError};
use crate::frame::Frame;
use crate::limits::Limits;

/// A [`tokio_util::codec`] `Decoder` of [`Frame`]s and `Encoder` of any
/// `Frame<B>`.
///
/// Decoding keeps the scan state between reads and splits each finished
/// frame off the read buffer (its long payloads slices of it, short ones
/// copied inline: see [`Payload`](crate::Payload)). Encoding is
/// checked (see [`encode_frame_checked`]).
///
/// ```
/// use bytes::BytesMut;
/// use redwire_resp::{Frame, RespCodec};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = RespCodec::default();
/// let mut wire = BytesMut::new();
/// codec.encode(Frame::Array(vec![Frame::BulkString("PING")]), &mut wire).unwrap();
/// assert_eq!(&wire[..], b"*1\r\n$4\r\nPING\r\n");
///
/// let mut read = BytesMut::from(&b"+PO"[..]);
/// assert_eq!(codec.decode(&mut read).unwrap(), None);
/// read.extend_from_slice(b"NG\r\n");
/// let pong = codec.decode(&mut read).unwrap().unwrap();
/// assert_eq!(pong.as_bytes(), Some(&b"PONG"[..]));
/// ```
#[derive(Debug, Clone, Default)]
pub struct RespCodec {
    decoder: Decoder,
}

impl RespCodec {
    /// A codec whose decoder enforces `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            decoder: Decoder::new(limits),
        }
    }
}

/// Why the codec failed: the transport, or bytes that are not RESP.
#[derive(Debug)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing the transport failed.
    Io(std::io::Error),
    /// The peer sent bytes that are not valid RESP within the limits.
    Decode(DecodeError),
    /// A frame to send was refused by the checked encoder.
    Encode(EncodeError),
}

impl core::fmt::Display for CodecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Decode(e) => write!(f, "decode error: {e}"),
            Self::Encode(e) => write!(f, "encode error: {e}"),
        }
    }
}

impl std::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Decode(e) => Some(e),
            Self::Encode(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for CodecError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

impl tokio_util::codec::Decoder for RespCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        self.decoder.decode_bytes(src).map_err(CodecError::Decode)
    }
}

impl<B: AsRef<[u8]>> tokio_util::codec::Encoder<Frame<B>> for RespCodec {
    type Error = CodecError;

    fn encode(&mut self, frame: Frame<B>, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode_frame_checked(dst, &frame).map_err(CodecError::Encode)
    }
}
