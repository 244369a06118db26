//! Writing commands and frames as RESP, in one pass after one reservation.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::EncodeError;
use crate::frame::Frame;
use crate::number::{self, NUMBER_BUF};
use crate::payload::Payload;

/// One command argument, seen as the bytes a bulk string carries.
///
/// Integers and floats are formatted on the stack, never on the heap;
/// floats as the shortest text that reads back to the same value.
pub trait Arg {
    /// Calls `f` with this argument's bytes.
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R;
}

impl Arg for [u8] {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

impl<const N: usize> Arg for [u8; N] {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

impl Arg for str {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self.as_bytes())
    }
}

impl Arg for alloc::string::String {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self.as_bytes())
    }
}

impl Arg for alloc::vec::Vec<u8> {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

impl Arg for Bytes {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

impl Arg for Payload {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

impl<T: Arg + ?Sized> Arg for &T {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        (**self).with_bytes(f)
    }
}

macro_rules! integer_args {
    ($($signed:ty),* ; $($unsigned:ty),*) => {
        $(impl Arg for $signed {
            fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
                f(number::format_i64(i64::from(*self), &mut [0; NUMBER_BUF]))
            }
        })*
        $(impl Arg for $unsigned {
            fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
                f(number::format_u64(u64::from(*self), &mut [0; NUMBER_BUF]))
            }
        })*
    };
}
// Not `u8`: a slice or `Vec` of bytes is one argument, not one per byte.
integer_args!(i8, i16, i32, i64; u16, u32, u64);

impl Arg for isize {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        (*self as i64).with_bytes(f)
    }
}

impl Arg for usize {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        (*self as u64).with_bytes(f)
    }
}

impl Arg for f64 {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(number::format_f64(*self, &mut [0; NUMBER_BUF]))
    }
}

impl Arg for f32 {
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f64::from(*self).with_bytes(f)
    }
}

/// The arguments of one command, flattened: a scalar ([`Arg`]) is one
/// argument; a slice, `Vec` or array of arguments, an `Option` (`None`: no
/// argument), a tuple of up to twelve, and a map (each key then its value)
/// are theirs end to end. Bytes (`&[u8]`, `Vec<u8>`, `[u8; N]`, `Bytes`,
/// [`Payload`]) are one argument.
///
/// ```
/// use bytes::BytesMut;
/// use redwire_resp::encode_command;
///
/// let keys = vec!["a", "b"];
/// let mut out = BytesMut::new();
/// encode_command(&mut out, &("DEL", &keys, None::<&str>, Some(("x", 1))));
/// assert_eq!(&out[..], &b"*5\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\n1\r\n"[..]);
/// ```
pub trait Args {
    /// Calls `f` with each argument's bytes, in order.
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8]));
}

/// Each [`Arg`] type is one argument.
macro_rules! scalar_args {
    ($($ty:ty),*) => {
        $(impl Args for $ty {
            fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
                self.with_bytes(&mut *f);
            }
        })*
    };
}
scalar_args!(
    str,
    alloc::string::String,
    [u8],
    alloc::vec::Vec<u8>,
    Bytes,
    Payload,
    i8,
    i16,
    i32,
    i64,
    isize,
    u16,
    u32,
    u64,
    usize,
    f32,
    f64
);

/// No argument.
impl Args for () {
    fn for_each_arg(&self, _: &mut impl FnMut(&[u8])) {}
}

impl<const N: usize> Args for [u8; N] {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        f(self);
    }
}

impl<A: Args> Args for [A] {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        for arg in self {
            arg.for_each_arg(f);
        }
    }
}

impl<A: Args, const N: usize> Args for [A; N] {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.as_slice().for_each_arg(f);
    }
}

impl<A: Args> Args for alloc::vec::Vec<A> {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        self.as_slice().for_each_arg(f);
    }
}

impl<A: Args> Args for Option<A> {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        if let Some(args) = self {
            args.for_each_arg(f);
        }
    }
}

impl<K: Args, V: Args> Args for alloc::collections::BTreeMap<K, V> {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        for (key, value) in self {
            key.for_each_arg(f);
            value.for_each_arg(f);
        }
    }
}

#[cfg(feature = "std")]
impl<K: Args, V: Args, S> Args for std::collections::HashMap<K, V, S> {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        for (key, value) in self {
            key.for_each_arg(f);
            value.for_each_arg(f);
        }
    }
}

impl<T: Args + ?Sized> Args for &T {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        (**self).for_each_arg(f);
    }
}

/// One command's arguments copied end to end into one buffer: for
/// arguments that must outlive the values they were read from (a binding's
/// strings), at one allocation however many there are.
///
/// ```
/// use redwire_resp::{encode_command, ArgBuf};
///
/// let mut args = ArgBuf::default();
/// args.push(b"SET");
/// args.push(b"key");
/// args.push(b"value");
/// let mut out = bytes::BytesMut::new();
/// encode_command(&mut out, &args);
/// assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
/// assert_eq!(args.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgBuf {
    data: alloc::vec::Vec<u8>,
    ends: alloc::vec::Vec<usize>,
}

impl ArgBuf {
    /// Adds an argument after the others.
    pub fn push(&mut self, arg: &[u8]) {
        self.data.extend_from_slice(arg);
        self.ends.push(self.data.len());
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Removes every argument, keeping the buffers.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
}

impl Args for ArgBuf {
    fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
        let mut start = 0;
        for &end in &self.ends {
            f(&self.data[start..end]);
            start = end;
        }
    }
}

macro_rules! tuple_args {
    ($($name:ident)+) => {
        impl<$($name: Args),+> Args for ($($name,)+) {
            #[allow(non_snake_case)]
            fn for_each_arg(&self, f: &mut impl FnMut(&[u8])) {
                let ($($name,)+) = self;
                $($name.for_each_arg(f);)+
            }
        }
    };
}
tuple_args!(A);
tuple_args!(A B);
tuple_args!(A B C);
tuple_args!(A B C D);
tuple_args!(A B C D E);
tuple_args!(A B C D E F);
tuple_args!(A B C D E F G);
tuple_args!(A B C D E F G H);
tuple_args!(A B C D E F G H I);
tuple_args!(A B C D E F G H I J);
tuple_args!(A B C D E F G H I J K);
tuple_args!(A B C D E F G H I J K L);

/// Appends a command, an array of bulk strings, to `dst`.
///
/// The encoded size is computed first and reserved once.
///
/// ```
/// use bytes::BytesMut;
/// use redwire_resp::encode_command;
///
/// let mut buf = BytesMut::new();
/// encode_command(&mut buf, &("SET", "key", 42));
/// assert_eq!(&buf[..], b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$2\r\n42\r\n");
///
/// encode_command(&mut buf, &["GET", "key"]);
/// assert!(buf.ends_with(b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"));
/// ```
pub fn encode_command<A: Args + ?Sized>(dst: &mut BytesMut, args: &A) {
    let (mut count, mut len) = (0, 0);
    args.for_each_arg(&mut |arg| {
        count += 1;
        len += header_len(arg.len()) + arg.len() + 2;
    });
    dst.reserve(header_len(count) + len);
    put_header(dst, b'*', count);
    args.for_each_arg(&mut |arg| put_blob(dst, b'$', arg));
}

/// The size of `frame` encoded as RESP.
pub fn encoded_len<B: AsRef<[u8]>>(frame: &Frame<B>) -> usize {
    let pairs_len = |pairs: &[(Frame<B>, Frame<B>)]| {
        header_len(pairs.len())
            + pairs
                .iter()
                .map(|(k, v)| encoded_len(k) + encoded_len(v))
                .sum::<usize>()
    };
    let items_len =
        |items: &[Frame<B>]| header_len(items.len()) + items.iter().map(encoded_len).sum::<usize>();
    match frame {
        Frame::SimpleString(b) | Frame::Error(b) | Frame::BigNumber(b) => 3 + b.as_ref().len(),
        Frame::BulkString(b) | Frame::BulkError(b) => blob_len(b.as_ref().len()),
        Frame::VerbatimString { text, .. } => blob_len(4 + text.as_ref().len()),
        Frame::Integer(n) => 3 + number::format_i64(*n, &mut [0; NUMBER_BUF]).len(),
        Frame::Double(v) => 3 + number::format_f64(*v, &mut [0; NUMBER_BUF]).len(),
        Frame::NullBulk | Frame::NullArray => 5,
        Frame::Null => 3,
        Frame::Boolean(_) => 4,
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items_len(items),
        Frame::Map(pairs) => pairs_len(pairs),
        Frame::Attributed(a) => pairs_len(&a.attributes) + encoded_len(&a.frame),
        Frame::StreamedString(chunks) => {
            let chunks = chunks.iter().map(AsRef::as_ref).filter(|c| !c.is_empty());
            4 + chunks.map(|c| blob_len(c.len())).sum::<usize>() + 4
        }
    }
}

/// Appends `frame` to `dst` as RESP, trusting its contents.
///
/// Simple strings and errors are written as they are: one holding CR or LF
/// would be read back as more protocol. Frames built from untrusted text go
/// through [`encode_frame_checked`].
///
/// ```
/// use bytes::BytesMut;
/// use redwire_resp::{encode_frame, Frame};
///
/// let mut buf = BytesMut::new();
/// encode_frame(&mut buf, &Frame::Map(vec![(Frame::SimpleString("ok"), Frame::Double(1.5))]));
/// assert_eq!(&buf[..], b"%1\r\n+ok\r\n,1.5\r\n");
/// ```
pub fn encode_frame<B: AsRef<[u8]>>(dst: &mut BytesMut, frame: &Frame<B>) {
    dst.reserve(encoded_len(frame));
    put_frame(dst, frame);
}

/// Appends `frame` to `dst` after checking that no simple string or error
/// holds CR or LF, every big number is digits, and no verbatim format holds
/// CR, LF or `:`. Nothing is written when the check fails.
///
/// ```
/// use bytes::BytesMut;
/// use redwire_resp::{encode_frame_checked, EncodeError, Frame};
///
/// let mut buf = BytesMut::new();
/// let injected = Frame::SimpleString("OK\r\n+INJECTED");
/// assert_eq!(encode_frame_checked(&mut buf, &injected), Err(EncodeError::LineBreakInLine));
/// assert!(buf.is_empty());
/// ```
pub fn encode_frame_checked<B: AsRef<[u8]>>(
    dst: &mut BytesMut,
    frame: &Frame<B>,
) -> Result<(), EncodeError> {
    check(frame)?;
    encode_frame(dst, frame);
    Ok(())
}

fn check<B: AsRef<[u8]>>(frame: &Frame<B>) -> Result<(), EncodeError> {
    let check_pairs = |pairs: &[(Frame<B>, Frame<B>)]| {
        pairs
            .iter()
            .try_for_each(|(k, v)| check(k).and_then(|()| check(v)))
    };
    match frame {
        Frame::SimpleString(b) | Frame::Error(b)
            if memchr::memchr2(b'\r', b'\n', b.as_ref()).is_some() =>
        {
            return Err(EncodeError::LineBreakInLine)
        }
        Frame::BigNumber(b) if !number::is_big_number(b.as_ref()) => {
            return Err(EncodeError::InvalidBigNumber)
        }
        Frame::VerbatimString { format, .. }
            if format.iter().any(|b| matches!(b, b'\r' | b'\n' | b':')) =>
        {
            return Err(EncodeError::InvalidVerbatimFormat)
        }
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.iter().try_for_each(check)?;
        }
        Frame::Map(pairs) => check_pairs(pairs)?,
        Frame::Attributed(a) => {
            check_pairs(&a.attributes)?;
            check(&a.frame)?;
        }
        _ => {}
    }
    Ok(())
}

fn put_frame<B: AsRef<[u8]>>(dst: &mut BytesMut, frame: &Frame<B>) {
    let put_pairs = |dst: &mut BytesMut, type_byte, pairs: &[(Frame<B>, Frame<B>)]| {
        put_header(dst, type_byte, pairs.len());
        for (k, v) in pairs {
            put_frame(dst, k);
            put_frame(dst, v);
        }
    };
    match frame {
        Frame::SimpleString(b) => put_line(dst, b'+', b.as_ref()),
        Frame::Error(b) => put_line(dst, b'-', b.as_ref()),
        Frame::BigNumber(b) => put_line(dst, b'(', b.as_ref()),
        Frame::Integer(n) => put_line(dst, b':', number::format_i64(*n, &mut [0; NUMBER_BUF])),
        Frame::Double(v) => put_line(dst, b',', number::format_f64(*v, &mut [0; NUMBER_BUF])),
        Frame::BulkString(b) => put_blob(dst, b'$', b.as_ref()),
        Frame::BulkError(b) => put_blob(dst, b'!', b.as_ref()),
        Frame::VerbatimString { format, text } => {
            let text = text.as_ref();
            put_header(dst, b'=', 4 + text.len());
            dst.put_slice(format);
            dst.put_u8(b':');
            dst.put_slice(text);
            dst.put_slice(b"\r\n");
        }
        Frame::NullBulk => dst.put_slice(b"$-1\r\n"),
        Frame::NullArray => dst.put_slice(b"*-1\r\n"),
        Frame::Null => dst.put_slice(b"_\r\n"),
        Frame::Boolean(v) => dst.put_slice(if *v { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            let type_byte = match frame {
                Frame::Array(_) => b'*',
                Frame::Set(_) => b'~',
                _ => b'>',
            };
            put_header(dst, type_byte, items.len());
            for item in items {
                put_frame(dst, item);
            }
        }
        Frame::Map(pairs) => put_pairs(dst, b'%', pairs),
        Frame::Attributed(a) => {
            put_pairs(dst, b'|', &a.attributes);
            put_frame(dst, &a.frame);
        }
        Frame::StreamedString(chunks) => {
            dst.put_slice(b"$?\r\n");
            // An empty chunk would read as the terminator; it carries nothing.
            for chunk in chunks.iter().map(AsRef::as_ref).filter(|c| !c.is_empty()) {
                put_blob(dst, b';', chunk);
            }
            dst.put_slice(b";0\r\n");
        }
    }
}

/// The size of a `<type><len>\r\n` header.
fn header_len(len: usize) -> usize {
    3 + decimal_len(len)
}

/// The size of a length-prefixed payload with its header and CRLF.
fn blob_len(len: usize) -> usize {
    header_len(len) + len + 2
}

fn decimal_len(mut n: usize) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

fn put_header(dst: &mut BytesMut, type_byte: u8, len: usize) {
    put_line(
        dst,
        type_byte,
        number::format_u64(len as u64, &mut [0; NUMBER_BUF]),
    );
}

fn put_line(dst: &mut BytesMut, type_byte: u8, text: &[u8]) {
    dst.put_u8(type_byte);
    dst.put_slice(text);
    dst.put_slice(b"\r\n");
}

fn put_blob(dst: &mut BytesMut, type_byte: u8, payload: &[u8]) {
    put_header(dst, type_byte, payload.len());
    dst.put_slice(payload);
    dst.put_slice(b"\r\n");
}
