//! Errors of decoding and encoding.

use core::fmt;

/// Why bytes could not be decoded as RESP.
///
/// A decode error means the stream is out of step with the protocol: the
/// connection it came from must not be used again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The first byte of a value is not a RESP type byte.
    InvalidType(u8),
    /// A length header is neither a non-negative number, `-1` where null is
    /// allowed, nor `?` where streaming is allowed.
    InvalidLength,
    /// An integer (`:`) is not a number or does not fit in an `i64`.
    InvalidInteger,
    /// A double (`,`) does not follow the RESP3 grammar.
    InvalidDouble,
    /// A big number (`(`) is not an optionally signed run of digits.
    InvalidBigNumber,
    /// A boolean (`#`) is neither `t` nor `f`.
    InvalidBoolean,
    /// A null (`_`) carries data.
    InvalidNull,
    /// A verbatim string is shorter than its `xxx:` format prefix or lacks the colon.
    InvalidVerbatim,
    /// A line holds a CR not followed by LF, or a payload is not followed by CRLF.
    MissingCrlf,
    /// A `;` chunk or `.` end marker appears outside a streamed value.
    UnexpectedStreamToken(u8),
    /// A streamed map or attribute ended after an odd number of elements.
    OddMapElements,
    /// A streamed aggregate ended right after an attribute map, which must
    /// describe a value.
    AttributeWithoutValue,
    /// A bulk payload is longer than [`Limits::max_bulk_len`](crate::Limits::max_bulk_len).
    BulkTooLong {
        /// Announced length.
        len: u64,
        /// Limit in force.
        max: usize,
    },
    /// An aggregate announces more elements than [`Limits::max_aggregate_len`](crate::Limits::max_aggregate_len).
    AggregateTooLong {
        /// Announced element count (pairs for maps).
        len: u64,
        /// Limit in force.
        max: usize,
    },
    /// The frame holds more values than [`Limits::max_frame_elements`](crate::Limits::max_frame_elements).
    TooManyElements {
        /// Limit in force.
        max: usize,
    },
    /// Aggregates are nested deeper than [`Limits::max_depth`](crate::Limits::max_depth).
    TooDeep {
        /// Limit in force.
        max: usize,
    },
    /// A line runs past [`Limits::max_line_len`](crate::Limits::max_line_len) without CRLF.
    LineTooLong {
        /// Limit in force.
        max: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidType(byte) => {
                write!(f, "invalid RESP type byte {:?}", char::from(*byte))
            }
            Self::InvalidLength => f.write_str("invalid RESP length header"),
            Self::InvalidInteger => {
                f.write_str("invalid RESP integer (not a number or out of i64 range)")
            }
            Self::InvalidDouble => f.write_str("invalid RESP double"),
            Self::InvalidBigNumber => f.write_str("invalid RESP big number"),
            Self::InvalidBoolean => f.write_str("invalid RESP boolean (expected t or f)"),
            Self::InvalidNull => f.write_str("invalid RESP null (carries data)"),
            Self::InvalidVerbatim => {
                f.write_str("invalid RESP verbatim string (no 3-byte format and colon)")
            }
            Self::MissingCrlf => f.write_str("RESP value not terminated by CRLF"),
            Self::UnexpectedStreamToken(byte) => write!(
                f,
                "unexpected {:?} outside a streamed RESP value",
                char::from(*byte)
            ),
            Self::AttributeWithoutValue => f.write_str("RESP attribute not followed by a value"),
            Self::OddMapElements => {
                f.write_str("streamed RESP map ended after an odd number of elements")
            }
            Self::BulkTooLong { len, max } => {
                write!(f, "RESP bulk of {len} bytes exceeds the limit of {max}")
            }
            Self::AggregateTooLong { len, max } => {
                write!(
                    f,
                    "RESP aggregate of {len} elements exceeds the limit of {max}"
                )
            }
            Self::TooManyElements { max } => {
                write!(f, "RESP frame holds more than {max} values")
            }
            Self::TooDeep { max } => write!(f, "RESP frame nested deeper than {max} levels"),
            Self::LineTooLong { max } => {
                write!(f, "RESP line longer than {max} bytes without CRLF")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

/// Why a frame was refused by [`encode_frame_checked`](crate::encode_frame_checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A simple string or error holds CR or LF, which would let its text be
    /// read as further protocol (injection).
    LineBreakInLine,
    /// A big number is not an optionally signed run of digits.
    InvalidBigNumber,
    /// A verbatim string's format holds CR, LF or `:`.
    InvalidVerbatimFormat,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LineBreakInLine => "simple string or error contains CR or LF",
            Self::InvalidBigNumber => "big number is not an optionally signed run of digits",
            Self::InvalidVerbatimFormat => "verbatim string format contains CR, LF or ':'",
        })
    }
}

impl core::error::Error for EncodeError {}
