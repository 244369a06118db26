//! The decoded value, generic over how payload bytes are held.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::payload::Payload;

/// One RESP2 or RESP3 value.
///
/// `B` holds payload bytes and picks the layer:
/// - [`FrameRef<'a>`](FrameRef): payloads borrow the input slice;
/// - [`Frame`] (`Frame<Payload>`): `'static` frames whose [`Payload`]s hold
///   up to 23 bytes inline (copied, no reference to the read buffer kept;
///   a lone `OK`, `QUEUED` or `PONG` is static) and are
///   [`Bytes`](bytes::Bytes) slices of the read buffer beyond that (not
///   copied);
/// - [`OwnedFrame`]: payloads are `Vec<u8>`.
///
/// RESP2's two nulls and RESP3's null stay distinct so a frame encodes back
/// to the bytes it came from; [`Frame::is_null`] treats them alike.
/// Streamed aggregates (`*?` … `.`) decode to ordinary aggregates; a
/// streamed string (`$?` with `;` chunks) keeps its chunks.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame<B = Payload> {
    /// `+` simple string.
    SimpleString(B),
    /// `-` error line, e.g. `ERR unknown command`.
    Error(B),
    /// `:` signed 64-bit integer.
    Integer(i64),
    /// `$` bulk string.
    BulkString(B),
    /// RESP2 null bulk string, `$-1`.
    NullBulk,
    /// RESP2 null array, `*-1`.
    NullArray,
    /// RESP3 null, `_`.
    Null,
    /// `*` array.
    Array(Vec<Frame<B>>),
    /// `#` boolean.
    Boolean(bool),
    /// `,` double, including infinities and NaN.
    Double(f64),
    /// `(` big number: an optionally signed run of decimal digits, as sent.
    BigNumber(B),
    /// `!` bulk error.
    BulkError(B),
    /// `=` verbatim string: a 3-byte format such as `txt` or `mkd`, and its text.
    VerbatimString {
        /// The format, e.g. `*b"txt"`.
        format: [u8; 3],
        /// The text after `format:`.
        text: B,
    },
    /// `%` map, pairs in the order sent.
    Map(Vec<(Frame<B>, Frame<B>)>),
    /// `~` set, elements in the order sent.
    Set(Vec<Frame<B>>),
    /// `>` out-of-band push (pub/sub messages, invalidations).
    Push(Vec<Frame<B>>),
    /// A value preceded by a `|` attribute map.
    Attributed(Box<Attributed<B>>),
    /// `$?` streamed string: its chunks, in order.
    StreamedString(Vec<B>),
}

/// A value and the `|` attribute map sent in front of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attributed<B = Payload> {
    /// The attribute pairs.
    pub attributes: Vec<(Frame<B>, Frame<B>)>,
    /// The value they describe.
    pub frame: Frame<B>,
}

/// A frame borrowing its payloads from the decoded slice.
pub type FrameRef<'a> = Frame<&'a [u8]>;

/// A frame owning its payloads in `Vec<u8>`s.
pub type OwnedFrame = Frame<Vec<u8>>;

impl<B> Frame<B> {
    /// Whether this is a null of either protocol (`$-1`, `*-1` or `_`).
    pub fn is_null(&self) -> bool {
        matches!(self, Self::NullBulk | Self::NullArray | Self::Null)
    }

    /// Whether this is an error of either kind (`-` or `!`).
    pub fn is_error(&self) -> bool {
        matches!(self, Self::Error(_) | Self::BulkError(_))
    }

    /// The RESP type's name, for messages such as "expected an integer, got a map".
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::SimpleString(_) => "simple string",
            Self::Error(_) => "error",
            Self::Integer(_) => "integer",
            Self::BulkString(_) => "bulk string",
            Self::NullBulk | Self::NullArray | Self::Null => "null",
            Self::Array(_) => "array",
            Self::Boolean(_) => "boolean",
            Self::Double(_) => "double",
            Self::BigNumber(_) => "big number",
            Self::BulkError(_) => "bulk error",
            Self::VerbatimString { .. } => "verbatim string",
            Self::Map(_) => "map",
            Self::Set(_) => "set",
            Self::Push(_) => "push",
            Self::Attributed(_) => "attributed value",
            Self::StreamedString(_) => "streamed string",
        }
    }

    /// The same frame with every payload converted by `f`.
    ///
    /// ```
    /// use redwire_resp::{Frame, FrameRef, OwnedFrame};
    ///
    /// let borrowed: FrameRef<'_> = Frame::Array(vec![Frame::BulkString(&b"v"[..])]);
    /// let owned: OwnedFrame = borrowed.map_payloads(&mut |b: &&[u8]| b.to_vec());
    /// assert_eq!(owned, Frame::Array(vec![Frame::BulkString(b"v".to_vec())]));
    /// ```
    pub fn map_payloads<C>(&self, f: &mut impl FnMut(&B) -> C) -> Frame<C> {
        let mut pairs = |pairs: &[(Self, Self)]| -> Vec<(Frame<C>, Frame<C>)> {
            pairs
                .iter()
                .map(|(k, v)| (k.map_payloads(f), v.map_payloads(f)))
                .collect()
        };
        match self {
            Self::SimpleString(b) => Frame::SimpleString(f(b)),
            Self::Error(b) => Frame::Error(f(b)),
            Self::Integer(n) => Frame::Integer(*n),
            Self::BulkString(b) => Frame::BulkString(f(b)),
            Self::NullBulk => Frame::NullBulk,
            Self::NullArray => Frame::NullArray,
            Self::Null => Frame::Null,
            Self::Array(items) => Frame::Array(items.iter().map(|i| i.map_payloads(f)).collect()),
            Self::Boolean(v) => Frame::Boolean(*v),
            Self::Double(v) => Frame::Double(*v),
            Self::BigNumber(b) => Frame::BigNumber(f(b)),
            Self::BulkError(b) => Frame::BulkError(f(b)),
            Self::VerbatimString { format, text } => Frame::VerbatimString {
                format: *format,
                text: f(text),
            },
            Self::Map(p) => Frame::Map(pairs(p)),
            Self::Set(items) => Frame::Set(items.iter().map(|i| i.map_payloads(f)).collect()),
            Self::Push(items) => Frame::Push(items.iter().map(|i| i.map_payloads(f)).collect()),
            Self::Attributed(a) => Frame::Attributed(Box::new(Attributed {
                attributes: pairs(&a.attributes),
                frame: a.frame.map_payloads(f),
            })),
            Self::StreamedString(chunks) => {
                Frame::StreamedString(chunks.iter().map(&mut *f).collect())
            }
        }
    }
}

impl<B: AsRef<[u8]>> Frame<B> {
    /// A copy whose payloads are owned `Vec<u8>`s.
    pub fn to_owned_frame(&self) -> OwnedFrame {
        self.map_payloads(&mut |b: &B| b.as_ref().to_vec())
    }

    /// The payload of a simple string, bulk string, verbatim string (its
    /// text) or error of either kind; `None` for every other type.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::SimpleString(b)
            | Self::BulkString(b)
            | Self::Error(b)
            | Self::BulkError(b)
            | Self::VerbatimString { text: b, .. } => Some(b.as_ref()),
            _ => None,
        }
    }
}
